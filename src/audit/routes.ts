import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';

/** /audit. */
export function registerAuditRoutes(_app: FastifyInstance, _ctx: AppContext): void {}
