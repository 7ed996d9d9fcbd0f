import { errors, jwtVerify, SignJWT } from 'jose';
import { deriveKey } from '../shared/crypto.js';

const ISSUER = 'troupe';
const AUDIENCE = 'troupe-api';
/**
 * Seconds of clock difference tolerated between the process that signed a token and the one that
 * checks it (several API processes on several machines): without it a token would be refused as
 * issued "in the future" by a machine whose clock is a second behind.
 */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Short-lived HS256 access tokens, signed with a key derived from TROUPE_SECRET_KEY. */
export class AccessTokens {
  private readonly key: Uint8Array;
  constructor(
    masterKey: Buffer,
    private readonly ttlSeconds: number,
  ) {
    this.key = deriveKey(masterKey, 'jwt:access');
  }

  get ttl() {
    return this.ttlSeconds;
  }

  sign(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /**
   * The user id, or null for a token that is malformed, forged, expired, or older than the
   * configured lifetime. `exp` and `iat` are required and the age is checked against
   * TROUPE_ACCESS_TOKEN_TTL, so a token minted with a far `exp` (or none) by anyone holding the
   * key, or issued before the lifetime was shortened, stops working within one lifetime.
   */
  async verify(token: string): Promise<string | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: this.ttlSeconds,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return typeof payload.sub === 'string' ? payload.sub : null;
    } catch (err) {
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  }
}
