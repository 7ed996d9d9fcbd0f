import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import type { AuditService } from '../audit/service.js';
import { afterCommit, type Database, type Tx } from '../db/client.js';
import { randomToken, sha256 } from '../shared/crypto.js';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { badRequest, forbidden, notFound } from '../shared/errors.js';
import { ROLES, roleAtLeast, roleRank, type Actor, type Role } from '../shared/roles.js';
import { apiKeys, memberships } from './schema.js';

export const API_KEY_PREFIX = 'trp_';

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

const view = (k: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
});

/** last_used_at is written at most this often per key, so busy keys do not write on every call. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * How long a process trusts what it read of a key (decision 54): a key revoked, lowered or
 * expired in another process (or by `troupe apikey revoke`) stops working here within this;
 * in this process at once. One lookup per key per second, where there was one per request.
 */
export const API_KEY_CACHE_MS = 1000;
/** Entries kept at most (unknown keys included, so a flood of made-up keys costs one lookup each per second); beyond it the cache starts over. */
const CACHE_MAX = 10_000;

interface CachedKey {
  /** When its lookup started (ms). */
  at: number;
  /** The invalidation generation it was read in. */
  gen: number;
  key: { id: string; orgId: string; role: Role; name: string; revoked: boolean; expiresAt: number | null; lastUsedAt: number | null } | null;
}

/**
 * Bumped whenever keys change in this process (revoke, a creator demoted or removed), before and
 * after the change commits: every cache entry read before the bump is read again.
 */
let generation = 0;
const forgetKeys = () => void generation++;

/**
 * Organization API keys for service-to-service calls. The key is shown once; only its SHA-256 is
 * stored (the key has 256 bits of entropy, so a fast hash is enough, unlike passwords).
 */
export class ApiKeys {
  /** Records `api_key.used`; set by setAudit (the audit module attaches itself when the API starts). */
  private audit: Pick<AuditService, 'record'> | null = null;

  /** What this process read of keys, by SHA-256 of the key (null: no such key). */
  private readonly cache = new Map<string, CachedKey>();
  /** Lookups under way, by hash, with the generation they read in. */
  private readonly reading = new Map<string, { gen: number; read?: Promise<CachedKey> }>();

  constructor(private readonly database: Database) {}

  /** Audits key use: `api_key.used`, at most once per key per TOUCH_INTERVAL_MS (when last_used_at is written). */
  setAudit(audit: Pick<AuditService, 'record'>): void {
    this.audit = audit;
  }

  async create(actor: Actor, input: { name: string; role: Role; expiresAt?: Date }): Promise<{ apiKey: ApiKeyView; key: string }> {
    if (!roleAtLeast(actor.role, input.role)) {
      throw forbidden(`You cannot create a key with the ${input.role} role, which is above your own (${actor.role})`, 'role_above_own');
    }
    if (input.expiresAt && input.expiresAt <= new Date()) {
      throw badRequest('expiresAt must be in the future', [{ path: 'body.expiresAt', message: 'must be in the future' }]);
    }
    const key = randomToken(API_KEY_PREFIX);
    const [row] = await this.database.withOrg(actor.orgId, async (tx) => {
      if (actor.userId) await this.assertStillMember(tx, actor, input.role);
      return tx
        .insert(apiKeys)
        .values({
          orgId: actor.orgId,
          name: input.name,
          role: input.role,
          prefix: key.slice(0, API_KEY_PREFIX.length + 8),
          keyHash: sha256(key),
          createdBy: actor.userId,
          expiresAt: input.expiresAt ?? null,
        })
        .returning();
    });
    return { apiKey: view(row!), key };
  }

  /**
   * The creator's membership, share-locked: a removal or demotion (which locks the row for update
   * and then revokes or lowers the person's keys) cannot slip between the access check and the
   * insert and leave a key above what its creator now holds.
   */
  private async assertStillMember(tx: Tx, actor: Actor, role: Role): Promise<void> {
    const [m] = await tx
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.orgId, actor.orgId), eq(memberships.userId, actor.userId!)))
      .for('share');
    if (!m) throw notFound('Organization');
    if (!roleAtLeast(m.role, role)) {
      throw forbidden(`You cannot create a key with the ${role} role, which is above your own (${m.role})`, 'role_above_own');
    }
  }

  /** Keys, newest first by default; revoked ones only with `includeRevoked`. */
  async list(actor: Actor, q: PageQuery & { includeRevoked: boolean }): Promise<Page<ApiKeyView>> {
    const where = and(eq(apiKeys.orgId, actor.orgId), q.includeRevoked ? undefined : isNull(apiKeys.revokedAt));
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, { table: apiKeys, id: apiKeys.id, sort: timestampSort(apiKeys.createdAt), where }, q, view));
  }

  async revoke(actor: Actor, id: string): Promise<void> {
    forgetKeys();
    const done = await this.database.withOrg(actor.orgId, (tx) => {
      afterCommit(tx, forgetKeys);
      return tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.orgId, actor.orgId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
    });
    if (done.length === 0) throw notFound('API key');
  }

  /**
   * Resolves a presented key; null when unknown, revoked or expired. What was read of the key is
   * trusted for API_KEY_CACHE_MS (decision 54), so a busy key costs no database round trip.
   */
  async authenticate(key: string): Promise<{ apiKeyId: string; orgId: string; role: Role } | null> {
    const hash = sha256(key);
    const now = Date.now();
    let hit = this.cache.get(hash);
    if (!hit || now - hit.at >= API_KEY_CACHE_MS || hit.gen !== generation) hit = await this.lookup(hash, now);
    const k = hit.key;
    if (!k || k.revoked || (k.expiresAt !== null && k.expiresAt <= now)) return null;
    if (k.lastUsedAt === null || now - k.lastUsedAt > TOUCH_INTERVAL_MS) {
      k.lastUsedAt = now;
      await this.touch(k, new Date(now));
    }
    return { apiKeyId: k.id, orgId: k.orgId, role: k.role };
  }

  /**
   * Reads a key once however many requests present it at the same moment (when a busy key's entry
   * expires, its concurrent requests share one lookup instead of each making one).
   */
  private lookup(hash: string, now: number): Promise<CachedKey> {
    const gen = generation;
    const inFlight = this.reading.get(hash);
    if (inFlight?.read && inFlight.gen === gen) return inFlight.read;
    const entry: { gen: number; read?: Promise<CachedKey> } = { gen };
    this.reading.set(hash, entry);
    const read = (async (): Promise<CachedKey> => {
      try {
        const [row] = await this.database.system((tx) =>
          tx
            .select({ id: apiKeys.id, orgId: apiKeys.orgId, role: apiKeys.role, name: apiKeys.name, revokedAt: apiKeys.revokedAt, expiresAt: apiKeys.expiresAt, lastUsedAt: apiKeys.lastUsedAt })
            .from(apiKeys)
            .where(eq(apiKeys.keyHash, hash)),
        );
        const k = row && { id: row.id, orgId: row.orgId, role: row.role, name: row.name, revoked: row.revokedAt !== null, expiresAt: row.expiresAt?.getTime() ?? null, lastUsedAt: row.lastUsedAt?.getTime() ?? null };
        const hit: CachedKey = { at: now, gen, key: k ?? null };
        // Keys changed while it was read: not kept (the next request reads again).
        if (gen === generation) {
          if (this.cache.size >= CACHE_MAX) this.cache.clear();
          this.cache.set(hash, hit);
        }
        return hit;
      } finally {
        if (this.reading.get(hash) === entry) this.reading.delete(hash);
      }
    })();
    entry.read = read;
    return read;
  }

  /** Writes last_used_at and audits `api_key.used`, at most once per TOUCH_INTERVAL_MS across processes. */
  private async touch(k: { id: string; orgId: string; name: string }, now: Date): Promise<void> {
    await this.database.system(async (tx) => {
      // Conditional, so of concurrent requests only the one that moves last_used_at audits the use.
      const touched = await tx
        .update(apiKeys)
        .set({ lastUsedAt: now })
        .where(and(eq(apiKeys.id, k.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - TOUCH_INTERVAL_MS)))))
        .returning({ id: apiKeys.id });
      if (touched.length && this.audit) {
        await this.audit.record(
          { orgId: k.orgId, actor: { type: 'api_key', apiKeyId: k.id }, action: 'api_key.used', targetType: 'api_key', targetId: k.id, details: { name: k.name } },
          tx,
        );
      }
    });
  }
}

/** A key changed because of what happened to the person who created it. */
export interface KeyChange {
  id: string;
  name: string;
  /** Its role before the change. */
  role: Role;
}

/**
 * Revokes the live keys `userId` created in `orgId`, in the caller's transaction (removing a
 * member: their keys must not outlive their membership). Returns the keys revoked.
 */
export async function revokeKeysCreatedBy(tx: Tx, orgId: string, userId: string): Promise<KeyChange[]> {
  forgetKeys();
  afterCommit(tx, forgetKeys);
  return tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.createdBy, userId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role });
}

/**
 * Lowers the live keys `userId` created in `orgId` whose role is above `role` to `role`, in the
 * caller's transaction (demoting a member: a key never holds more than its creator). Returns the
 * keys lowered, with their previous role.
 */
export async function lowerKeysCreatedBy(tx: Tx, orgId: string, userId: string, role: Role): Promise<KeyChange[]> {
  const above = ROLES.filter((r) => roleRank(r) > roleRank(role));
  if (!above.length) return [];
  forgetKeys();
  afterCommit(tx, forgetKeys);
  const where = and(eq(apiKeys.orgId, orgId), eq(apiKeys.createdBy, userId), isNull(apiKeys.revokedAt), inArray(apiKeys.role, above));
  const keys = await tx.select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role }).from(apiKeys).where(where).for('update');
  if (keys.length) await tx.update(apiKeys).set({ role }).where(where);
  return keys;
}
