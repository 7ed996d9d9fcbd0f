import { and, asc, eq, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { expect } from 'vitest';
import { type TestApp } from '../../../../test/helpers/app.js';
import { toolContext } from '../../../../test/helpers/tool-context.js';
import { tasks } from '../../../tasks/schema.js';
import type { ToolContext } from '../../../tools/define.js';
import { executeTool } from '../../../tools/execute.js';
import { followUps, notifications, outboxEmails } from '../../../tools/schema.js';
import { fitnessBookings, fitnessCommunications, fitnessContacts, fitnessNotes, fitnessPayments, fitnessSessions, fitnessSubscriptions, fitnessWorkoutPlans } from '../crm/schema.js';
import type { DemoGym } from '../demo/rows.js';
import type { GymTruth } from './demo-truth.test-helpers.js';
import { cmp } from './demo-truth.test-helpers.js';
import { fitnessCampaignRecipients, fitnessCampaigns, fitnessSmsOutbox, fitnessSocialPosts } from './schema.js';
import { failed, ok } from './test-fixtures.js';

/** The demo gym the tool cases run on (demo-gym.test.ts), and what every case uses. */
export const AS_OF = new Date('2026-03-15T00:00:00Z');
export const NOW = new Date('2026-03-15T09:10:00Z');
export const GYM = 'Ironwood Fitness';
export const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

export type Row = Record<string, unknown>;
export type List = { total: number; items: Row[]; nextOffset: number | null };
export const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
export const MEMBER_STATUSES = ['active', 'frozen', 'cancelled', 'former'];

/** What every case works with: the app, both gyms, the truth of the big one. */
export interface Env {
  t: TestApp;
  gym: DemoGym;
  small: DemoGym;
  truth: GymTruth;
  smallIds: Set<string>;
  agentId: string;
}

/** Calls a tool through the executor as an agent of the gym's organization (or `orgId`'s). */
export function caller(env: Env) {
  const run = (name: string, args: unknown, over: Partial<ToolContext> = {}) => {
    const def = env.t.ctx.services.tools.get(name);
    if (!def) throw new Error(`${name} is not registered`);
    return executeTool(def, args, toolContext({ app: env.t.ctx, orgId: env.gym.orgId, followUpTask: env.t.ctx.services.tools.followUpTask ?? undefined, ...over }));
  };
  /** A successful answer that names nothing of the other gym. */
  const read = async <T = Row>(name: string, args: unknown, over: Partial<ToolContext> = {}): Promise<T> => {
    const out = ok<T>(await run(name, args, over));
    const foreign = (JSON.stringify(out).match(UUIDS) ?? []).filter((id) => env.smallIds.has(id));
    expect(foreign, `${name} answered with the other gym's ids`).toEqual([]);
    return out;
  };
  /** The call made in the other gym's organization: anything of this gym is not found there. */
  const elsewhere = async (name: string, args: unknown) => expect(failed(await run(name, args, { orgId: env.small.orgId })).code, `${name} in the other organization`).toBe('not_found');
  return { run, read, elsewhere };
}

/** Rows of a table in one organization, by id. */
export async function rowsOf<T extends PgTable>(env: Env, orgId: string, table: T, where?: ReturnType<typeof eq>): Promise<T['$inferSelect'][]> {
  const t = table as unknown as typeof fitnessContacts;
  return env.t.ctx.database.withOrg(orgId, (tx) =>
    tx
      .select()
      .from(t)
      .where(and(eq(t.orgId, orgId), where))
      .orderBy(asc(t.id)),
  ) as Promise<T['$inferSelect'][]>;
}

/** The other gym's rows are exactly what its generator made, and the tools wrote nothing for it. */
export async function expectSmallUntouched(env: Env) {
  const orgId = env.small.orgId;
  const byId = <T extends { id?: string | null }>(rows: T[]) => plain([...rows].sort((a, b) => cmp(a.id!, b.id!)));
  const tables = { contacts: fitnessContacts, bookings: fitnessBookings, sessions: fitnessSessions, notes: fitnessNotes, subscriptions: fitnessSubscriptions, payments: fitnessPayments } as const;
  const written = [fitnessCommunications, fitnessSmsOutbox, fitnessCampaigns, fitnessCampaignRecipients, fitnessSocialPosts, fitnessWorkoutPlans, outboxEmails, notifications, followUps, tasks];
  const { rows, counts } = await env.t.ctx.database.withOrg(orgId, async (tx) => {
    const rows: Record<string, unknown[]> = {};
    for (const [name, table] of Object.entries(tables)) rows[name] = await tx.select().from(table).where(eq(table.orgId, orgId)).orderBy(asc(table.id));
    const counts = await tx.execute(sql.join([sql`select`, sql.join(written.map((t, i) => sql`(select count(*) from ${t} where org_id = ${orgId})::int as ${sql.identifier(`t${i}`)}`), sql`, `)], sql` `));
    return { rows, counts: counts.rows[0]! };
  });
  for (const name of Object.keys(tables) as (keyof typeof tables)[]) expect(plain(rows[name]), `the other gym's ${name}`).toEqual(byId(env.small.rows[name] as { id?: string | null }[]));
  expect(Object.values(counts).map(Number), 'rows the tools wrote for the other gym').toEqual(written.map(() => 0));
}

/** A page of a sorted list as the tools page it: the slice, and the next offset while rows remain. */
export const page = <T>(all: T[], offset: number, limit: number) => ({ slice: all.slice(offset, offset + limit), nextOffset: offset + limit < all.length ? offset + limit : null });

/** The first of `list` that `pred` holds for; fails the test (the gym no longer has such a row) otherwise. */
export function pick<T>(list: T[], pred: (x: T) => boolean, what: string): T {
  const found = list.find(pred);
  if (!found) throw new Error(`the demo gym has no ${what}`);
  return found;
}

