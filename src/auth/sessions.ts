import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { randomToken, sha256 } from '../shared/crypto.js';
import { unauthorized } from '../shared/errors.js';
import { refreshTokens } from './schema.js';
import type { AccessTokens } from './tokens.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
}

const REFRESH_PREFIX = 'trr_';

/**
 * Sessions: a short-lived access token (JWT) plus a refresh token that rotates on every use.
 * Refresh tokens of one sign-in share a family; presenting a token that was already rotated means
 * it was stolen or replayed, so the whole family is revoked (OAuth 2.0 Security BCP §4.14).
 */
export class Sessions {
  constructor(
    private readonly database: Database,
    private readonly tokens: AccessTokens,
    private readonly refreshTtlSeconds: number,
  ) {}

  /** Starts a new session family for a user. Runs inside the caller's transaction when given one. */
  async issue(userId: string, tx?: Tx, familyId: string = randomUUID()): Promise<TokenPair> {
    const refreshToken = randomToken(REFRESH_PREFIX);
    const row = {
      userId,
      familyId,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.refreshTtlSeconds * 1000),
    };
    if (tx) await tx.insert(refreshTokens).values(row);
    else await this.database.system((t) => t.insert(refreshTokens).values(row));
    return { accessToken: await this.tokens.sign(userId), refreshToken, tokenType: 'Bearer', expiresIn: this.tokens.ttl };
  }

  /** Exchanges a refresh token for a new pair; the old one stops working. */
  async rotate(refreshToken: string): Promise<TokenPair> {
    const invalid = () => unauthorized('The refresh token is invalid, expired or already used', 'invalid_refresh_token');
    if (!refreshToken.startsWith(REFRESH_PREFIX)) throw invalid();
    const outcome = await this.database.system(async (tx) => {
      const [row] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, sha256(refreshToken)));
      if (!row || row.revokedAt || row.expiresAt < new Date()) return null;
      // Only one concurrent rotation can win this conditional update; a loser is a replay.
      const won = await tx
        .update(refreshTokens)
        .set({ rotatedAt: new Date() })
        .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.rotatedAt)))
        .returning({ id: refreshTokens.id });
      if (won.length === 0) return { kind: 'reuse' as const, familyId: row.familyId };
      return { kind: 'rotated' as const, pair: await this.issue(row.userId, tx, row.familyId) };
    });
    if (!outcome) throw invalid();
    if (outcome.kind === 'reuse') {
      await this.revokeFamily(outcome.familyId);
      throw invalid();
    }
    return outcome.pair;
  }

  /** Signs out the session the refresh token belongs to. Unknown tokens are ignored. */
  async revoke(refreshToken: string): Promise<void> {
    const [row] = await this.database.system((tx) =>
      tx.select({ familyId: refreshTokens.familyId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, sha256(refreshToken))),
    );
    if (row) await this.revokeFamily(row.familyId);
  }

  /** Signs a user out everywhere (after a password change). */
  async revokeAllFor(userId: string, tx: Tx): Promise<void> {
    await tx
      .update(refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
  }

  private async revokeFamily(familyId: string) {
    await this.database.system((tx) =>
      tx
        .update(refreshTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt))),
    );
  }

  /** Deletes rows expired before `olderThan`, or revoked more than a day before it; returns how many. */
  async prune(olderThan = new Date()): Promise<number> {
    const gone = await this.database.system((tx) =>
      tx
        .delete(refreshTokens)
        .where(or(lt(refreshTokens.expiresAt, olderThan), lt(refreshTokens.revokedAt, new Date(olderThan.getTime() - 86_400_000))))
        .returning({ id: refreshTokens.id }),
    );
    return gone.length;
  }
}
