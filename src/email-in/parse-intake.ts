import { sha256, safeEqual } from '../shared/crypto.js';
import { AppError, notFound } from '../shared/errors.js';
import type { EventRow } from '../events/service.js';
import type { ParseProvider } from './enums.js';
import { dedupeKey, toPayload } from './message.js';
import { readParsePost, type RawPost } from './parse-formats.js';
import type { InboxService } from './service.js';

/**
 * A post to `/hooks/email/{inboxId}` (docs/email.md): 404 for no such, not-parse or disabled
 * inbox; 401 for a wrong token; 413 past TROUPE_SMTP_INBOUND_MAX_BYTES; 415/400 for a body the
 * provider's format does not allow; else the mail is stored as an event (once per Message-ID, or
 * per body without one) before the provider is answered.
 */
export async function receiveParsePost(inboxes: InboxService, inboxId: string, token: string | undefined, post: RawPost): Promise<{ event: EventRow; created: boolean }> {
  const row = await inboxes.byId(inboxId);
  if (!row || row.kind !== 'parse' || !row.enabled || !row.provider || !row.tokenHash) throw notFound('Email inbox');
  if (!token || !safeEqual(sha256(token), row.tokenHash)) throw new AppError(401, 'token_invalid', 'The token is missing or wrong: use the URL shown when the inbox was made (or rotate its token)');
  const max = inboxes.settings.maxBytes;
  if (post.body.length > max) throw new AppError(413, 'body_too_large', `The body is ${post.body.length} bytes; inbound mail takes at most ${max}`);
  const provider = row.provider as ParseProvider;
  const parts = await readParsePost(provider, post, inboxes.signingKeyOf(row));
  const payload = toPayload(row.id, provider, parts);
  return inboxes.receive(row, payload, dedupeKey('parse', row.id, payload.messageId, post.body));
}
