import fastifyStatic from '@fastify/static';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Paths that belong to the server, never to the dashboard: an unknown path under them is a 404
 * problem, not the dashboard's index page. `/assets` is the dashboard's own files: a missing one
 * must be a 404, not HTML that the browser would try to run as a script.
 */
const SERVER_PATHS = /^\/(api|docs|health|ready|metrics|assets)(\/|$)/;

/** Vite names everything under assets/ by content hash, so a file there never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface Dashboard {
  /** Whether the built dashboard was found (dist/web/index.html). */
  built: boolean;
  /**
   * Answers a request that matched no route with the dashboard's index page when it is a page
   * navigation (GET/HEAD, accepts HTML, not a server path, not a file name); false otherwise.
   */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

/**
 * Serves the built dashboard (`npm run build:web` → `dist/web`) at `/`: hashed assets with a
 * one-year immutable cache, the index page with `no-cache` at `/` and at every client-side route
 * (`/agents/123`), so a reload or a shared link opens the right page. Files are listed once at
 * start (no catch-all route), so a rebuild needs a restart. Text files are sent as the build
 * precompressed them (brotli or gzip, by Accept-Encoding; decision 49). Without a build, `/` and page
 * navigations answer 503 with a page telling how to build it; the API works either way.
 */
export async function registerDashboard(app: FastifyInstance, webDir: string): Promise<Dashboard> {
  const indexFile = path.join(webDir, 'index.html');
  const index = existsSync(indexFile) ? readFileSync(indexFile) : null;
  // Written by the build beside it (web/tools/precompress.ts); the page holds no secret, so
  // compressing it is safe (no BREACH-style guessing of a token in the same response).
  const compressedIndex = new Map<Encoding, Buffer>();
  for (const [encoding, ext] of [['br', '.br'], ['gzip', '.gz']] as const) {
    if (index && existsSync(indexFile + ext)) compressedIndex.set(encoding, readFileSync(indexFile + ext));
  }

  if (index) {
    // Encapsulated, so reply.sendFile (also decorated by Swagger UI's copy) does not clash.
    await app.register(async (scope) => {
      await scope.register(fastifyStatic, {
        root: webDir,
        prefix: '/',
        wildcard: false,
        index: false,
        decorateReply: false,
        dotfiles: 'ignore',
        // The index page is answered below, with the same headers at / and at client routes.
        // The .br/.gz copies are no routes of their own: preCompressed sends them in place of
        // the file to clients that accept them (with `vary: accept-encoding`).
        globIgnore: ['index.html', '**/*.br', '**/*.gz'],
        preCompressed: true,
        cacheControl: false,
        setHeaders: (reply, file) => {
          const relative = path.relative(webDir, file).split(path.sep).join('/');
          reply.header('cache-control', relative.startsWith('assets/') ? IMMUTABLE : 'no-cache');
        },
      });
    });
  }

  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    if (!index) return sendNotBuilt(reply);
    reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache');
    if (compressedIndex.size === 0) return reply.send(index);
    reply.header('vary', 'accept-encoding');
    const encoding = chooseEncoding(request.headers['accept-encoding'], [...compressedIndex.keys()]);
    if (!encoding) return reply.send(index);
    return reply.header('content-encoding', encoding).send(compressedIndex.get(encoding));
  };

  for (const url of ['/', '/index.html']) app.get(url, { schema: { hide: true } }, async (request, reply) => sendIndex(request, reply));

  return {
    built: index !== null,
    fallback(request, reply) {
      if (!isPageNavigation(request)) return false;
      void sendIndex(request, reply);
      return true;
    },
  };
}

type Encoding = 'br' | 'gzip';

/**
 * The first of `available` (in the server's order of preference) that an Accept-Encoding header
 * accepts with a quality above zero; `*` accepts any not named. Undefined: send the plain file.
 */
export function chooseEncoding(header: string | string[] | undefined, available: Encoding[]): Encoding | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const item of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [name, ...params] = item.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  return available.find((e) => (q.get(e) ?? q.get('*') ?? 0) > 0);
}

function isPageNavigation(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const pathname = request.url.split('?')[0]!;
  if (SERVER_PATHS.test(pathname)) return false;
  // `/favicon.ico`, `/robots.txt`: a file that is not there, not a page.
  if (/\.[A-Za-z0-9]{1,8}$/.test(pathname)) return false;
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Troupe: dashboard not built</title></head>
<body>
<h1>The dashboard is not built</h1>
<p>Troupe is running, but the web dashboard has not been built in this folder. Build it with</p>
<pre>npm run build:web</pre>
<p>(<code>npm install</code> builds it too), then restart Troupe. The API works meanwhile: see <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

function sendNotBuilt(reply: FastifyReply) {
  return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
}
