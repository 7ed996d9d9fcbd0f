import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { createContext, type AppContext } from '../../src/app.js';
import { memberships, organizations, users } from '../../src/auth/schema.js';
import type { Role } from '../../src/shared/roles.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';
import { openTestDatabase, type DbKind } from './databases.js';

export const TEST_SECRET_KEY = 'a'.repeat(64);

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  close(): Promise<void>;
}

/**
 * A real server (routes, hooks, services) on a fresh migrated database, driven with app.inject.
 * Extra settings can be given as environment variables.
 */
export async function createTestApp(
  kind: DbKind = 'postgres',
  env: Record<string, string> = {},
  options: { logger?: Logger } = {},
): Promise<TestApp> {
  const database = await openTestDatabase(kind);
  const config = loadConfig({
    TROUPE_SECRET_KEY: TEST_SECRET_KEY,
    TROUPE_DATA_DIR: `/tmp/troupe-test-${randomUUID()}`,
    TROUPE_AUTH_RATE_LIMIT: '10000',
    ...env,
  });
  const ctx = await createContext(config, { database, logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  const app = await buildServer(ctx);
  await app.ready();
  // Runs execute in this process, as in `troupe serve`; no recovery sweeps, so tests that park
  // runs as queued (with their own dispatcher) keep them parked; no scheduler loop.
  ctx.startRoles({ worker: true, scheduler: false, recover: false });
  return {
    app,
    ctx,
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}

export interface Member {
  userId: string;
  orgId: string;
  email: string;
  role: Role;
  token: string;
  /** Authorization plus X-Org-Id, ready for app.inject. */
  headers: Record<string, string>;
}

// A real argon2id hash of "correct horse battery" so seeded users can also sign in.
const SEEDED_PASSWORD = 'correct horse battery';
let seededHash: Promise<string> | undefined;

/**
 * Creates a user with `role` in `orgId` (a new organization when omitted), straight in the
 * database (fast), and signs an access token for them.
 */
export async function seedMember(ctx: AppContext, role: Role = 'owner', orgId?: string): Promise<Member> {
  seededHash ??= import('../../src/auth/passwords.js').then((m) => m.hashPassword(SEEDED_PASSWORD));
  const passwordHash = await seededHash;
  const email = `user-${randomBytes(5).toString('hex')}@example.com`;
  const ids = await ctx.database.system(async (tx) => {
    const org = orgId ?? (await tx.insert(organizations).values({ name: `Org ${email}` }).returning())[0]!.id;
    const [user] = await tx.insert(users).values({ email, name: email.split('@')[0]!, passwordHash }).returning();
    await tx.insert(memberships).values({ orgId: org, userId: user!.id, role });
    return { orgId: org, userId: user!.id };
  });
  const token = await ctx.tokens.sign(ids.userId);
  return { ...ids, email, role, token, headers: { authorization: `Bearer ${token}`, 'x-org-id': ids.orgId } };
}

/** Like seedMember, and the user is an instance operator (decision 32). */
export async function seedOperator(ctx: AppContext, role: Role = 'owner', orgId?: string): Promise<Member> {
  const member = await seedMember(ctx, role, orgId);
  await ctx.database.system((tx) => tx.update(users).set({ isOperator: true }).where(eq(users.id, member.userId)));
  return member;
}

/** One member of each role in one organization, plus an owner of a second organization. */
export async function seedRoles(ctx: AppContext) {
  const owner = await seedMember(ctx, 'owner');
  const [admin, member, viewer] = await Promise.all(
    (['admin', 'member', 'viewer'] as const).map((r) => seedMember(ctx, r, owner.orgId)),
  );
  const stranger = await seedMember(ctx, 'owner');
  return { owner, admin: admin!, member: member!, viewer: viewer!, stranger };
}

export const SEED_PASSWORD = SEEDED_PASSWORD;

/** Parses a JSON response body, failing the test with the body text when it is not JSON. */
export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new Error(`Expected JSON, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  }
}

/** Asserts a problem+json response with the given status; returns the body. */
export function expectProblem(res: LightMyRequestResponse, status: number) {
  if (res.statusCode !== status) throw new Error(`Expected ${status}, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`Expected application/problem+json, got ${res.headers['content-type']}`);
  }
  return json<{ code: string; detail: string; errors?: { path: string; message: string }[] }>(res);
}
