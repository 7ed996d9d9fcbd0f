import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';

/** The widget's source, shipped as it is (the package ships `src/`, as it does the SQL functions). */
export const WIDGET_FILE = fileURLToPath(new URL('../../src/publications/assets/widget.js', import.meta.url));

/**
 * The public chat page: the widget in full-page mode and nothing else. Its own policy, tighter
 * than the dashboard's: scripts, styles and requests to this server only, no inline code (the
 * widget styles itself with constructed stylesheets, which CSP does not govern), no frames.
 */
const CHAT_PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function chatPage(title: string, publicKey: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
</head>
<body>
<main id="troupe-chat"></main>
<script src="/widget.js" data-key="${escapeHtml(publicKey)}" data-mode="page" data-target="troupe-chat"></script>
</body>
</html>
`;
}

const NOT_FOUND_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Chat not found</title></head>
<body><main><h1>This chat is not available</h1><p>The link may be wrong, or the chat was switched off.</p></main></body>
</html>
`;

/**
 * `GET /widget.js` (public, cacheable, usable from any site: `Cross-Origin-Resource-Policy:
 * cross-origin`) and the public chat page `GET /chat/<public key>` (only keys of the `pk_` form
 * are this route; `/chat/<conversation id>` stays the dashboard's chat).
 */
export function registerChatPages(app: FastifyInstance, ctx: AppContext): void {
  const widget = readFileSync(WIDGET_FILE);
  const etag = `"${createHash('sha256').update(widget).digest('base64url').slice(0, 22)}"`;

  // The server-wide CORS plugin stays out (a script tag needs none; '*' is for <script crossorigin> and integrity checks).
  app.get('/widget.js', { config: { cors: false }, schema: { hide: true } }, async (request, reply) => {
    reply
      .header('cache-control', 'public, max-age=300')
      .header('etag', etag)
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('access-control-allow-origin', '*');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/javascript; charset=utf-8').send(widget);
  });

  app.get('/chat/pk_:key', { config: { cors: false }, schema: { hide: true } }, async (request, reply) => {
    const publicKey = `pk_${(request.params as { key: string }).key}`;
    const publication = await ctx.services.publications.byPublicKey(publicKey);
    reply.header('content-security-policy', CHAT_PAGE_CSP).header('cache-control', 'no-cache').type('text/html; charset=utf-8');
    if (!publication) return reply.code(404).send(NOT_FOUND_PAGE);
    return reply.send(chatPage(publication.title, publication.publicKey));
  });
}
