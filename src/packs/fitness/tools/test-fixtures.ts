import { randomUUID } from 'node:crypto';
import { seedMember, type Member, type TestApp } from '../../../../test/helpers/app.js';
import { toolContext } from '../../../../test/helpers/tool-context.js';
import type { Config } from '../../../config/load.js';
import type { Actor } from '../../../shared/roles.js';
import type { ToolContext } from '../../../tools/define.js';
import type { ToolOutcome } from '../../../tools/errors.js';
import { createClassBody, createSessionBody } from '../crm/dto/classes.js';
import { createContactBody } from '../crm/dto/people.js';
import { fitnessCrmOf } from '../index.js';

// Test helpers of the fitness tools (not built: tsconfig.build.json leaves test-fixtures.ts out).

const DAY = 86_400_000;
export const inDays = (n: number, hour = 18) => {
  const d = new Date(Date.now() + n * DAY);
  d.setUTCHours(hour, 0, 0, 0);
  return d;
};
export const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

/** A gym in a fresh organization: an owner, the CRM acting as them, and tool calls through the registry's execution path. */
export async function gym(t: TestApp) {
  const owner: Member = await seedMember(t.ctx, 'owner');
  const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
  const crm = fitnessCrmOf(t.ctx.database);
  const ctx = (over: Partial<Omit<ToolContext, 'config'>> & { config?: Partial<Config> } = {}) => toolContext({ app: t.ctx, orgId: owner.orgId, ...over });
  /** Calls a tool as an agent of this organization would (arguments checked, time limit, output schema). */
  const call = (name: string, args: unknown, over: Parameters<typeof ctx>[0] = {}) => t.ctx.services.tools.execute(name, args, ctx(over));
  let n = 0;
  // Through the API's create schemas, so the rows are what the API would write.
  const contact = (fields: Record<string, unknown> = {}) =>
    crm.contacts.create(actor, createContactBody.parse({ firstName: `Person${++n}`, lastName: 'Test', email: `p${n}-${randomUUID().slice(0, 8)}@example.com`, status: 'active', ...fields }));
  const klass = (fields: Record<string, unknown> = {}) => crm.classes.create(actor, createClassBody.parse({ name: `Class ${++n}`, defaultCapacity: 10, durationMinutes: 60, ...fields }));
  const session = (classId: string, startsAt: Date, fields: Record<string, unknown> = {}) => crm.sessions.create(actor, createSessionBody.parse({ classId, startsAt: startsAt.toISOString(), ...fields }));
  return { owner, actor, crm, ctx, call, contact, klass, session, orgId: owner.orgId };
}
export type Gym = Awaited<ReturnType<typeof gym>>;

/** The output of a successful call (fails the test with the error otherwise). */
export function ok<T = Record<string, unknown>>(res: ToolOutcome): T {
  if (!res.ok) throw new Error(`expected success, got ${res.error.code}: ${res.error.message}`);
  return res.output as T;
}

/** The error of a failed call. */
export function failed(res: ToolOutcome) {
  if (res.ok) throw new Error(`expected a failure, got ${JSON.stringify(res.output).slice(0, 300)}`);
  return res.error;
}
