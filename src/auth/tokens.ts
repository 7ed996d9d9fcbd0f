import { errors, jwtVerify, SignJWT } from 'jose';
import { deriveKey } from '../shared/crypto.js';

const ISSUER = 'troupe';
const AUDIENCE = 'troupe-api';

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

  /** The user id, or null for a token that is malformed, forged or expired. */
  async verify(token: string): Promise<string | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      return typeof payload.sub === 'string' ? payload.sub : null;
    } catch (err) {
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  }
}
