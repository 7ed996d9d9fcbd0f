import type { SecretBox } from '../shared/crypto.js';
import { UUID_RE } from '../shared/ids.js';

/** How long a visitor's session token lasts. */
export const VISITOR_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const PREFIX = 'vt_';

/**
 * A website visitor's session token: the visitor's id and an expiry, sealed with AES-256-GCM
 * under the server's secret key (SecretBox) with the publication's id as associated data. It
 * cannot be forged or altered, and a token of one publication does not open under another
 * (decision 62). Nothing is stored: the visitor's conversation is found by (publication, visitor).
 */
export class VisitorTokens {
  constructor(private readonly box: SecretBox) {}

  issue(publicationId: string, visitorId: string, now = Date.now()): { token: string; expiresAt: Date } {
    const expiresAt = new Date(now + VISITOR_TOKEN_TTL_SECONDS * 1000);
    const sealed = this.box.encrypt(JSON.stringify({ v: visitorId, exp: Math.floor(expiresAt.getTime() / 1000) }), aad(publicationId));
    return { token: PREFIX + Buffer.from(sealed).toString('base64url'), expiresAt };
  }

  /** The visitor's id, or null for a token that is malformed, expired, altered or another publication's. */
  verify(publicationId: string, token: string, now = Date.now()): string | null {
    if (!token.startsWith(PREFIX) || token.length > 400) return null;
    try {
      const opened = JSON.parse(this.box.decrypt(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'), aad(publicationId))) as { v?: unknown; exp?: unknown };
      if (typeof opened.v !== 'string' || !UUID_RE.test(opened.v) || typeof opened.exp !== 'number' || opened.exp * 1000 <= now) return null;
      return opened.v;
    } catch {
      return null;
    }
  }
}

const aad = (publicationId: string) => `troupe:chat-visitor:${publicationId}`;
