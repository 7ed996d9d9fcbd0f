import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';

/** /tools and the built-in tools' data. */
export function registerToolRoutes(_app: FastifyInstance, _ctx: AppContext): void {}
