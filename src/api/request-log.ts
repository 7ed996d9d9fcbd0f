import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Whether a request is routine traffic an operator does not want at `info`: reads outside the API,
 * that is the dashboard's files and page loads, Swagger UI, and the `/health`, `/ready` and
 * `/metrics` probes that load balancers and Prometheus send every few seconds. A page load
 * fetches a dozen files, so at `info` they buried the API requests.
 */
export function isRoutineRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const url = request.url;
  return !(url.startsWith('/api/') || url === '/api' || url.startsWith('/api?'));
}

/**
 * Fastify's request log lines, with routine requests (isRoutineRequest) moved from `info` to
 * `debug`. API requests keep their "incoming request" / "request completed" lines at `info`, and a
 * failed routine request is still logged as an error.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.isLogDisabled(request)) return;
    if (isRoutineRequest(request)) request.log.debug({ req: request }, 'incoming request');
    else super.incomingRequest(request, reply, metadata);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.isLogDisabled(request)) return;
    if (!error && isRoutineRequest(request)) reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    else super.requestCompleted(error, request, reply, metadata);
  }
}
