import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.js';

/** /usage: costs and budgets. */
export function registerBillingRoutes(_app: FastifyInstance, _ctx: AppContext): void {}
