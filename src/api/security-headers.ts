import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify from 'fastify';

/** Headers a response carries whatever helmet's options, not security headers. */
const NOT_HELMETS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The headers @fastify/helmet sets with these options, computed once. The plugin builds helmet's
 * middleware on every request, parsing the CSP directives each time, for headers that are the same
 * on every response; the server sets these instead (decision 54).
 */
export async function securityHeaders(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = Fastify();
  await probe.register(fastifyHelmet, options);
  probe.get('/', async () => 'ok');
  const res = await probe.inject({ url: '/' });
  await probe.close();
  return Object.fromEntries(
    Object.entries(res.headers)
      .filter(([k, v]) => !NOT_HELMETS.has(k) && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}
