import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Route hook for answers that carry a token or a secret shown once (sessions, API keys,
 * invitation links): no browser or proxy cache may keep them (RFC 6749 §5.1; Pragma for
 * HTTP/1.0 caches).
 */
export async function noStore(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}
