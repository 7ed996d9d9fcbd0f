import { describe, expect, it } from 'vitest';
import { dedupeKey, MAX_ADDRESSES, MAX_BODY_CHARS, parseRaw, toPayload, type MailParts } from './message.js';

/** The payload's bounds: what a mail can put into an event, whichever way it came. */
const parts = (over: Partial<MailParts> = {}): MailParts => ({ from: { address: 'a@example.com', name: 'A' }, to: [], cc: [], subject: 'S', text: 'T', html: '', messageId: '<m@x>', inReplyTo: null, references: null, date: null, attachments: [], ...over });

describe('email payload', () => {
  it('cuts text and HTML at the limit and says so', () => {
    const p = toPayload('i', 'smtp', parts({ text: 'x'.repeat(MAX_BODY_CHARS + 10), html: '<p>short</p>' }));
    expect(p.text).toHaveLength(MAX_BODY_CHARS);
    expect(p.html).toBe('<p>short</p>');
    expect(p.truncated).toBe(true);
    expect(toPayload('i', 'smtp', parts()).truncated).toBe(false);
    // Never half a surrogate pair at the cut.
    const emoji = toPayload('i', 'smtp', parts({ text: `${'x'.repeat(MAX_BODY_CHARS - 1)}😀` }));
    expect(emoji.text).toHaveLength(MAX_BODY_CHARS - 1);
  });

  it('keeps at most the limit of addresses, and drops what PostgreSQL cannot store', () => {
    const many = Array.from({ length: MAX_ADDRESSES + 5 }, (_, i) => ({ address: `p${i}@example.com`, name: '' }));
    const p = toPayload('i', 'imap', parts({ to: many, subject: 'a\u0000b\uD800c', text: 'nul\u0000here' }));
    expect(p.to).toHaveLength(MAX_ADDRESSES);
    expect(p.truncated).toBe(true);
    expect(p.subject).toBe('ab\uFFFDc');
    expect(p.text).toBe('nulhere');
  });

  it('reads references, dates and attachments from a raw message; keys it by Message-ID or by its bytes', async () => {
    const raw = 'From: "Ann" <ann@example.com>\r\nTo: a@x.test, "B" <b@x.test>\r\nSubject: Hi\r\nDate: Mon, 07 Dec 2026 09:30:00 +0100\r\nReferences: <r1@x> <r2@x>\r\n\r\nHello';
    const p = toPayload('inbox', 'smtp', await parseRaw(raw));
    expect(p).toMatchObject({ from: { address: 'ann@example.com', name: 'Ann' }, to: [{ address: 'a@x.test' }, { address: 'b@x.test', name: 'B' }], references: ['<r1@x>', '<r2@x>'], date: '2026-12-07T08:30:00.000Z', messageId: null });
    expect(dedupeKey('smtp', 'inbox', null, raw)).toMatch(/^smtp:inbox:sha256:[0-9a-f]{64}$/);
    expect(dedupeKey('smtp', 'inbox', '<m@x>', raw)).toBe('smtp:inbox:<m@x>');
    expect(dedupeKey('smtp', 'inbox', `<${'y'.repeat(300)}@x>`, raw)).toMatch(/^smtp:inbox:[0-9a-f]{64}$/);
  });
});
