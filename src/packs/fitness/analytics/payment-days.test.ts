import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations } from '../../../auth/schema.js';
import type { Database } from '../../../db/client.js';
import { openTestDatabase, type DbKind } from '../../../../test/helpers/databases.js';
import { fillDemoGym } from '../demo/service.js';
import { Rng } from '../demo/prng.js';
import { REPORTS } from './reports.js';

/*
 * fitness_payment_days and fitness_contact_revenue (migration 0028, decision 64) are kept by triggers on fitness_payments and
 * fitness_subscriptions. Whatever is written (inserts one by one and in bulk, refunds, moves in
 * time, currency and subscription, deletions, a subscription moved to another plan or deleted,
 * an organization deleted), it must equal the payments grouped afresh, and the reports read from
 * it must equal the same reports computed from the payments alone.
 */

const AS_OF = new Date('2026-03-15T00:00:00Z');

/** The rollup as it is, and as the payments say it should be (zero rows left out of both). */
async function rollupAndFresh(db: Database) {
  return db.system(async (tx) => {
    const key = (day: string) => `concat_ws('|', org_id, ${day}, currency, status, method, coalesce(failure_reason, '-'), coalesce(plan_id::text, '-'))`;
    const kept = await tx.execute(
      sql.raw(`select ${key('day::text')} as k, payments::int as n, amount_micros::text as a, refunded_micros::text as r from fitness_payment_days where payments <> 0 order by 1`),
    );
    const fresh = await tx.execute(
      sql.raw(`select ${key("((paid_at at time zone 'UTC')::date)::text")} as k, count(*)::int as n, sum(amount_micros)::text as a, sum(refunded_micros)::text as r
        from fitness_payments group by 1 order by 1`),
    );
    const contactsKept = await tx.execute(
      sql.raw(`select concat_ws('|', org_id, contact_id, currency) as k, payments::int as n, net_micros::text as net from fitness_contact_revenue
        where payments <> 0 or net_micros <> 0 order by 1`),
    );
    const contactsFresh = await tx.execute(
      sql.raw(`select concat_ws('|', org_id, contact_id, currency) as k, count(*)::int as n, sum(amount_micros - refunded_micros)::text as net from fitness_payments
        where status in ('succeeded', 'partially_refunded', 'refunded') group by 1 order by 1`),
    );
    const plans = await tx.execute(sql`select count(*)::int as wrong from fitness_payments p left join fitness_subscriptions s on s.id = p.subscription_id
      where p.plan_id is distinct from s.plan_id`);
    return {
      kept: kept.rows.map((r) => [String(r.k), r.n, r.a, r.r]),
      fresh: fresh.rows.map((r) => [String(r.k), r.n, r.a, r.r]),
      contactsKept: contactsKept.rows.map((r) => [String(r.k), r.n, r.net]),
      contactsFresh: contactsFresh.rows.map((r) => [String(r.k), r.n, r.net]),
      wrongPlans: Number(plans.rows[0]!.wrong),
    };
  });
}

describe.each<DbKind>(['postgres', 'pglite'])('the payments rollup on %s', (kind) => {
  let db: Database;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    const [a, b] = await db.system((tx) => tx.insert(organizations).values([{ name: 'Gym A' }, { name: 'Gym B' }]).returning());
    orgA = a!.id;
    orgB = b!.id;
    await fillDemoGym(db, orgA, { seed: 3, members: 120, asOf: AS_OF });
    await fillDemoGym(db, orgB, { seed: 5, members: 40, asOf: AS_OF });
  }, 180_000);
  afterAll(() => db?.close());

  const expectConsistent = async () => {
    const { kept, fresh, contactsKept, contactsFresh, wrongPlans } = await rollupAndFresh(db);
    expect(kept).toEqual(fresh);
    expect(contactsKept).toEqual(contactsFresh);
    expect(wrongPlans).toBe(0);
  };

  it('equals the payments after the demo fill', async () => {
    await expectConsistent();
    const { kept, contactsKept } = await rollupAndFresh(db);
    expect(kept.length).toBeGreaterThan(100);
    expect(contactsKept.length).toBeGreaterThan(50);
  });

  it('follows inserts, updates and deletes of every kind, as the organization itself writes them', async () => {
    const rng = new Rng(99);
    await db.withOrg(orgA, async (tx) => {
      const subs = (await tx.execute(sql`select id, contact_id, plan_id from fitness_subscriptions where org_id = ${orgA} order by id limit 40`)).rows;
      const pays = (await tx.execute(sql`select id from fitness_payments where org_id = ${orgA} order by id`)).rows.map((r) => String(r.id));
      // Inserts: one by one and several in one statement, with and without a subscription.
      for (let i = 0; i < 5; i++) {
        const s = subs[rng.int(0, subs.length - 1)]!;
        await tx.execute(sql`insert into fitness_payments (org_id, contact_id, subscription_id, amount_micros, paid_at, currency, status, method)
          values (${orgA}, ${s.contact_id}, ${s.id}, ${rng.int(1, 200) * 1_000_000}, ${new Date(AS_OF.getTime() - rng.int(0, 400) * 3_600_000).toISOString()}::timestamptz, 'USD', 'succeeded', 'card')`);
      }
      const s0 = subs[0]!;
      await tx.execute(sql`insert into fitness_payments (org_id, contact_id, subscription_id, amount_micros, paid_at, currency, status, method, failure_reason)
        values (${orgA}, ${s0.contact_id}, null, 5000000, '2026-02-01T10:00:00Z', 'EUR', 'succeeded', 'cash', null),
               (${orgA}, ${s0.contact_id}, ${s0.id}, 7000000, '2026-02-01T23:59:59Z', 'USD', 'failed', 'card', 'card_declined'),
               (${orgA}, ${s0.contact_id}, ${s0.id}, 7000000, '2026-02-02T00:00:00Z', 'USD', 'pending', 'bank_transfer', null)`);
      // Updates: refunds, another day, another currency, another subscription, nothing that counts.
      await tx.execute(sql`update fitness_payments set status = 'refunded', refunded_micros = amount_micros where id = ${pays[0]!}`);
      await tx.execute(sql`update fitness_payments set status = 'partially_refunded', refunded_micros = amount_micros / 2 where id in (${pays[1]!}, ${pays[2]!})`);
      await tx.execute(sql`update fitness_payments set paid_at = paid_at - interval '3 days' where id = ${pays[3]!}`);
      await tx.execute(sql`update fitness_payments set currency = 'EUR' where id = ${pays[4]!}`);
      await tx.execute(sql`update fitness_payments set subscription_id = ${subs[5]!.id} where id = ${pays[5]!}`);
      await tx.execute(sql`update fitness_payments set subscription_id = null where id = ${pays[6]!}`);
      await tx.execute(sql`update fitness_payments set description = 'renamed' where id = ${pays[7]!}`);
      await tx.execute(sql`update fitness_payments set amount_micros = amount_micros + 1230000 where id in (select id from fitness_payments where org_id = ${orgA} and status = 'succeeded' order by id limit 25)`);
      // Deletes: one, and many.
      await tx.execute(sql`delete from fitness_payments where id = ${pays[8]!}`);
      await tx.execute(sql`delete from fitness_payments where id in (select id from fitness_payments where org_id = ${orgA} order by paid_at desc limit 30)`);
      // A subscription moved to another plan takes its payments along; a deleted one leaves them without a plan.
      const other = (await tx.execute(sql`select id from fitness_plans where org_id = ${orgA} and id <> ${s0.plan_id} limit 1`)).rows[0]!;
      await tx.execute(sql`update fitness_subscriptions set plan_id = ${other.id} where id = ${subs[10]!.id}`);
      await tx.execute(sql`update fitness_subscriptions set plan_id = plan_id where id = ${subs[11]!.id}`);
      await tx.execute(sql`delete from fitness_bookings where org_id = ${orgA} and contact_id = ${subs[12]!.contact_id}`);
      await tx.execute(sql`delete from fitness_subscriptions where id = ${subs[12]!.id}`);
      // A contact deleted takes its payments (a cascade).
      await tx.execute(sql`delete from fitness_contacts where id = ${subs[13]!.contact_id}`);
    });
    await expectConsistent();
  });

  it('gives the revenue report the figures the payments alone give, whole days and partial ones', async () => {
    const report = REPORTS.find((r) => r.tool === 'generate_revenue_report')!;
    // Ranges ending mid-day (asOf), within one day, and over whole days only.
    const cases = [
      { groupBy: 'day', from: '2026-01-28', to: '2026-03-14', asOf: '2026-03-14T17:45:00Z' },
      { groupBy: 'day', from: '2026-02-01', to: '2026-02-01', asOf: '2026-02-01T23:59:59.500Z' },
      { groupBy: 'day', from: '2025-12-30', to: '2026-01-03' },
    ];
    for (const raw of cases) {
      const params = report.params.parse({ asOf: AS_OF.toISOString(), ...raw }) as { start: Date; end: Date };
      const got = (await db.readOrg(orgA, (tx) => report.run(tx, orgA, params as never))) as {
        periods: { start: string; gross: { micros: number }; refunds: { micros: number }; payments: number; failed: number }[];
      };
      const expected = await db.system(async (tx) =>
        (
          await tx.execute(sql`select to_char(paid_at at time zone 'UTC', 'YYYY-MM-DD') as day,
              coalesce(sum(amount_micros) filter (where status in ('succeeded', 'partially_refunded', 'refunded')), 0)::text as gross,
              coalesce(sum(refunded_micros) filter (where status in ('succeeded', 'partially_refunded', 'refunded')), 0)::text as refunds,
              count(*) filter (where status in ('succeeded', 'partially_refunded', 'refunded'))::int as payments,
              count(*) filter (where status = 'failed')::int as failed
            from fitness_payments where org_id = ${orgA} and currency = 'USD' and paid_at >= ${params.start.toISOString()}::timestamptz and paid_at < ${params.end.toISOString()}::timestamptz
            group by 1`)
        ).rows,
      );
      const byDay = new Map(expected.map((r) => [String(r.day), r]));
      expect(got.periods.length).toBeGreaterThan(0);
      for (const period of got.periods) {
        const e = byDay.get(period.start);
        expect([period.gross.micros, period.refunds.micros, period.payments, period.failed], `${period.start} of ${JSON.stringify(raw)}`).toEqual(
          e ? [Number(e.gross), Number(e.refunds), e.payments, e.failed] : [0, 0, 0, 0],
        );
      }
      expect(got.periods.reduce((n, p) => n + p.payments + p.failed, 0)).toBe(expected.reduce((n, r) => n + Number(r.payments) + Number(r.failed), 0));
    }
  });

  it('goes with a deleted organization, and another organization never counts', async () => {
    const revenueBefore = await db.system((tx) => tx.execute(sql`select count(*)::int as n from fitness_contact_revenue where org_id = ${orgB}`));
    expect(Number(revenueBefore.rows[0]!.n)).toBeGreaterThan(0);
    const before = await db.system((tx) => tx.execute(sql`select count(*)::int as n from fitness_payment_days where org_id = ${orgB}`));
    expect(Number(before.rows[0]!.n)).toBeGreaterThan(0);
    await db.system((tx) => tx.delete(organizations).where(sql`id = ${orgB}`));
    const after = await db.system((tx) => tx.execute(sql`select count(*)::int as n from fitness_payment_days where org_id = ${orgB}`));
    expect(Number(after.rows[0]!.n)).toBe(0);
    const revenueAfter = await db.system((tx) => tx.execute(sql`select count(*)::int as n from fitness_contact_revenue where org_id = ${orgB}`));
    expect(Number(revenueAfter.rows[0]!.n)).toBe(0);
    await expectConsistent();
  });
});
