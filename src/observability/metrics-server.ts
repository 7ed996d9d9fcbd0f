import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/logger.js';
import { METRICS_UNAUTHORIZED, metricsTokenMatches } from './metrics-token.js';

export interface MetricsServerOptions {
  /** 0: any free port (the answer says which). */
  port: number;
  host: string;
  registry: Registry;
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  token?: string;
  version: string;
  /** The readiness checks (the same as the API's /ready). */
  ready: () => Promise<{ ready: boolean; checks: Record<string, unknown> }>;
  logger?: Logger;
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `/health`, `/ready` and `/metrics` for a process without the API (`troupe worker`, `troupe
 * scheduler`) on `TROUPE_METRICS_PORT`: plain node:http, three GET routes, answered like the
 * API's (same JSON, same problem+json errors), so probes and Prometheus treat every process alike.
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handle(o, req, res).catch((err: unknown) => {
      o.logger?.error({ err, url: req.url }, 'metrics server: request failed');
      if (!res.headersSent) problem(res, 500, 'internal_error', 'The request failed; see the log');
      else res.destroy();
    });
  });
  // Probes and scrapers hold no long connections; a stuck client must not keep the process up.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(o: MetricsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/health' && path !== '/ready' && path !== '/metrics') {
    return problem(res, 404, 'not_found', `Nothing at ${path}: this port serves /health, /ready and /metrics`);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return problem(res, 405, 'method_not_allowed', `${path} answers GET only`, { allow: 'GET, HEAD' });
  }
  if (path === '/health') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ status: 'ok', version: o.version }));
  if (path === '/ready') {
    const { ready, checks } = await o.ready();
    return send(res, ready ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks }));
  }
  if (o.token !== undefined && !metricsTokenMatches(req.headers.authorization, o.token)) {
    return problem(res, 401, METRICS_UNAUTHORIZED.code, METRICS_UNAUTHORIZED.detail, METRICS_UNAUTHORIZED.headers);
  }
  return send(res, 200, o.registry.contentType, await o.registry.metrics());
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const TITLES: Record<number, string> = { 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

function problem(res: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ type: `urn:troupe:error:${code}`, title: TITLES[status] ?? 'Error', status, detail, code });
  send(res, status, 'application/problem+json', body, headers);
}
