import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type TestApp } from '../../test/helpers/app.js';
import { agents } from '../agents/schema.js';
import { rowFromJson } from './json-row.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('pglite');
});
afterAll(() => t.close());

describe('rowFromJson', () => {
  it('maps to_jsonb(row) to exactly what select() returns: camelCase, Dates, numbers, arrays, jsonb', async () => {
    const owner = await seedMember(t.ctx, 'owner');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: owner.headers,
      payload: { name: 'Mapped', model: 'openai:gpt-4o-mini', tools: ['calculator', 'current_time'], temperature: 0.25, limits: { maxSteps: 7 } },
    });
    const id = json<{ id: string }>(res).id;
    const [selected, viaJson] = await t.ctx.database.withOrg(owner.orgId, async (tx) => {
      const [row] = await tx.select().from(agents).where(eq(agents.id, id));
      const { rows } = await tx.execute(sql`select to_jsonb(a) as j from agents a where a.id = ${id}`);
      return [row!, rowFromJson(agents, rows[0]!.j as Record<string, unknown>)];
    });
    expect(viaJson).toEqual(selected);
    expect(viaJson.createdAt).toBeInstanceOf(Date);
  });
});
