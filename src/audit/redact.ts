/**
 * Second line of defence for audit details: callers pass ids, names and the NAMES of changed
 * fields, never credential values; should one slip through under a telling key, its value is
 * replaced. Keys ending in `Id`/`Ids` (apiKeyId, tokenId) are ids, not secrets, and stay.
 */
const SECRET_KEY = /(pass(word|phrase)?|secret|tokens?|authorization|cookie|api_?key|private_?key|^key)$/i;
const ID_KEY = /ids?$/i;

export const REDACTED = '[redacted]';

/** A copy of `details` with credential-looking values replaced, recursively (depth ≤ 5). */
export function redact(details: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (SECRET_KEY.test(key) && !ID_KEY.test(key)) out[key] = REDACTED;
    else if (value && typeof value === 'object' && !Array.isArray(value) && depth < 5) out[key] = redact(value as Record<string, unknown>, depth + 1);
    else out[key] = value;
  }
  return out;
}
