import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets at rest: AES-256-GCM with a random 96-bit IV per value. The stored form is
 * `v1.<iv>.<tag>.<ciphertext>` (base64url), so a future key rotation can add `v2` beside it.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'troupe:secrets:v1', 32));
  }

  encrypt(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** Throws if the value was tampered with, or was encrypted under another key or associated data. */
  decrypt(stored: string, associatedData = ''): string {
    const [version, iv, tag, ct] = stored.split('.');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('Unrecognised secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** Derives an independent sub-key (e.g. for JWT signing) from the master key. */
export function deriveKey(masterKey: Buffer, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, Buffer.alloc(0), `troupe:${purpose}`, 32));
}

/** SHA-256 hex of a high-entropy token (API keys, refresh tokens): safe to index and look up. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A random token with a readable prefix, e.g. `trp_live_…`. */
export const randomToken = (prefix: string, bytes = 32) => `${prefix}${randomBytes(bytes).toString('base64url')}`;

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
