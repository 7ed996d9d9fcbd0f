import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, seedMember, SEED_PASSWORD, type TestApp } from '../../test/helpers/app.js';
import { lockoutAddress } from './client-address.js';
import { signInFailures, users } from './schema.js';

/**
 * Issue 12 item 10: the lockout counts failures per account AND client address, so a stranger
 * elsewhere cannot lock the owner out; an account-wide ceiling still slows a spread-out guesser.
 */
describe('sign-in lockout per account and address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres', { TROUPE_LOCKOUT_THRESHOLD: '3', TROUPE_LOCKOUT_ACCOUNT_THRESHOLD: '7' });
  });
  afterAll(() => t.close());

  const signIn = (email: string, password: string, from: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email, password }, remoteAddress: from });
  const fail = async (email: string, from: string, times: number) => {
    for (let i = 0; i < times; i++) expectProblem(await signIn(email, 'not the password', from), 401);
  };

  it("locks only the stranger's address: the owner still signs in from theirs", async () => {
    const m = await seedMember(t.ctx);
    await fail(m.email, '203.0.113.5', 3);
    // The stranger's address is locked, even with the right password, and is told nothing more.
    expect(expectProblem(await signIn(m.email, SEED_PASSWORD, '203.0.113.5'), 401).detail).toBe('Invalid email or password');
    expect((await signIn(m.email, SEED_PASSWORD, '198.51.100.7')).statusCode).toBe(200);
    // Attempts refused by the lock are not counted.
    await fail(m.email, '203.0.113.5', 5);
    const [pair] = await t.ctx.database.system((tx) => tx.select().from(signInFailures).where(eq(signInFailures.userId, m.userId)));
    expect(pair).toMatchObject({ address: '203.0.113.5', failures: 3 });
  });

  it('a correct password starts its address again from zero', async () => {
    const m = await seedMember(t.ctx);
    await fail(m.email, '192.0.2.10', 2);
    expect((await signIn(m.email, SEED_PASSWORD, '192.0.2.10')).statusCode).toBe(200);
    await fail(m.email, '192.0.2.10', 2);
    expect((await signIn(m.email, SEED_PASSWORD, '192.0.2.10')).statusCode).toBe(200);
  });

  it('counts an IPv6 client by its /64, so fresh addresses of one network do not reset the count', async () => {
    const m = await seedMember(t.ctx);
    await fail(m.email, '2001:db8:1:2::1', 1);
    await fail(m.email, '2001:db8:1:2::2', 1);
    await fail(m.email, '2001:db8:1:2:aaaa::3', 1);
    expectProblem(await signIn(m.email, SEED_PASSWORD, '2001:db8:1:2::99'), 401);
    expect((await signIn(m.email, SEED_PASSWORD, '2001:db8:1:3::1')).statusCode).toBe(200);
    expect(lockoutAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('locks the account for every address past the account-wide ceiling, then lets it go when the lock ends', async () => {
    const m = await seedMember(t.ctx);
    await fail(m.email, '198.51.100.1', 3);
    await fail(m.email, '198.51.100.2', 3);
    // Six failures: below the ceiling of seven, so a third address still gets in.
    expect((await signIn(m.email, SEED_PASSWORD, '198.51.100.3')).statusCode).toBe(200);
    await fail(m.email, '198.51.100.4', 1);
    expectProblem(await signIn(m.email, SEED_PASSWORD, '198.51.100.5'), 401);
    const [row] = await t.ctx.database.system((tx) => tx.select().from(users).where(eq(users.id, m.userId)));
    expect(row!.failedLogins).toBe(7);
    expect(row!.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
    await t.ctx.database.system((tx) => tx.update(users).set({ lockedUntil: new Date(Date.now() - 1000) }).where(eq(users.id, m.userId)));
    expect((await signIn(m.email, SEED_PASSWORD, '198.51.100.5')).statusCode).toBe(200);
  });

  it('counts the account-wide ceiling within a window: failures older than TROUPE_LOCKOUT_MINUTES start it again', async () => {
    const m = await seedMember(t.ctx);
    await fail(m.email, '192.0.2.50', 2);
    await fail(m.email, '192.0.2.51', 2);
    await t.ctx.database.system((tx) => tx.update(users).set({ failuresSince: new Date(Date.now() - 16 * 60_000) }).where(eq(users.id, m.userId)));
    await fail(m.email, '192.0.2.52', 1);
    const [row] = await t.ctx.database.system((tx) => tx.select().from(users).where(eq(users.id, m.userId)));
    expect(row!.failedLogins).toBe(1);
  });

  it('prunes address counts untouched for a day whose lock is over', async () => {
    const m = await seedMember(t.ctx);
    await fail(m.email, '192.0.2.80', 1);
    await fail(m.email, '192.0.2.81', 3);
    const lockout = t.ctx.services.auth.lockout;
    await t.ctx.database.system((tx) => tx.update(signInFailures).set({ updatedAt: new Date(Date.now() - 2 * 86_400_000) }).where(eq(signInFailures.userId, m.userId)));
    expect(await lockout.prune()).toBe(1);
    const left = await t.ctx.database.system((tx) => tx.select().from(signInFailures).where(eq(signInFailures.userId, m.userId)));
    expect(left.map((r) => r.address)).toEqual(['192.0.2.81']);
  });
});
