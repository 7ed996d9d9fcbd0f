import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VERIFICATION_SCHEMES, signWebhook, verifyWebhook, type VerifyRequest, type VerifySettings } from './verify.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOW_S = NOW / 1000;
const BODY = Buffer.from('{"event":"order.paid","id":42}');
const SECRET = 'whsec_test_5f2b8c1e';

const req = (headers: VerifyRequest['headers'], rawBody = BODY, now = NOW): VerifyRequest => ({ headers, rawBody, now });
const hmac = (secret: string, content: string | Buffer) => createHmac('sha256', secret).update(content).digest('hex');

/** The failure's reason, after checking it does not give the secret or the expected signature away. */
function refused(settings: VerifySettings, request: VerifyRequest, ...secrets: string[]): string {
  const result = verifyWebhook(settings, request);
  if (result.ok) throw new Error('expected the request to be refused');
  for (const s of [settings.secret ?? '', ...secrets].filter(Boolean)) expect(result.reason).not.toContain(s);
  return result.reason;
}

describe('none', () => {
  it('accepts anything', () => {
    expect(verifyWebhook({ scheme: 'none', secret: null }, req({}))).toEqual({ ok: true });
  });
});

describe('token', () => {
  const settings: VerifySettings = { scheme: 'token', secret: SECRET };

  it('accepts the secret in x-webhook-token, or as a Bearer token when that header is absent', () => {
    expect(verifyWebhook(settings, req({ 'x-webhook-token': SECRET }))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req({ authorization: `Bearer ${SECRET}` }))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req({ authorization: `bearer  ${SECRET}` }))).toEqual({ ok: true });
  });

  it('refuses a wrong token, one of another length, a missing one and a non-Bearer authorization', () => {
    const sameLength = SECRET.slice(0, -1) + (SECRET.endsWith('e') ? 'f' : 'e');
    expect(refused(settings, req({ 'x-webhook-token': sameLength }))).toMatch(/x-webhook-token.*does not match/);
    expect(refused(settings, req({ 'x-webhook-token': 'short' }))).toMatch(/x-webhook-token.*does not match/);
    expect(refused(settings, req({ 'x-webhook-token': SECRET + 'x' }))).toMatch(/does not match/);
    expect(refused(settings, req({ authorization: 'Bearer nope' }))).toMatch(/authorization.*does not match/);
    expect(refused(settings, req({ authorization: `Basic ${SECRET}` }))).toMatch(/authorization.*not "Bearer <token>"/);
    expect(refused(settings, req({}))).toMatch(/x-webhook-token header is missing/);
  });

  it('reads a configured header (any case), and the first of a repeated one', () => {
    const custom: VerifySettings = { ...settings, header: 'X-Acme-Key' };
    expect(verifyWebhook(custom, req({ 'x-acme-key': SECRET }))).toEqual({ ok: true });
    expect(refused(custom, req({ 'x-webhook-token': SECRET }))).toMatch(/x-acme-key header is missing/);
    expect(verifyWebhook(custom, req({ 'x-acme-key': [SECRET, 'other'] }))).toEqual({ ok: true });
    expect(refused(custom, req({ 'x-acme-key': ['other', SECRET] }))).toMatch(/does not match/);
  });

  it('refuses every scheme but none when the endpoint has no secret', () => {
    for (const scheme of VERIFICATION_SCHEMES.filter((s) => s !== 'none')) {
      expect(refused({ scheme, secret: null }, req({ 'x-webhook-token': '' }))).toMatch(/no secret/);
    }
  });
});

describe('hmac_sha256 (generic)', () => {
  const settings: VerifySettings = { scheme: 'hmac_sha256', secret: SECRET };
  const signature = hmac(SECRET, BODY);

  it('accepts the hex HMAC of the raw body in x-signature, with or without sha256=, in either case', () => {
    expect(verifyWebhook(settings, req({ 'x-signature': signature }))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req({ 'x-signature': `sha256=${signature}` }))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req({ 'x-signature': signature.toUpperCase() }))).toEqual({ ok: true });
  });

  it('refuses another body, another secret, a malformed or missing header', () => {
    expect(refused(settings, req({ 'x-signature': signature }, Buffer.from('{"id":43}')), signature)).toMatch(/x-signature.*does not match the body/);
    expect(refused(settings, req({ 'x-signature': hmac('other', BODY) }), signature)).toMatch(/does not match/);
    expect(refused(settings, req({ 'x-signature': 'sha1=abc' }))).toMatch(/x-signature.*not a hex HMAC-SHA256/);
    expect(refused(settings, req({ 'x-signature': signature.slice(2) }))).toMatch(/not a hex/);
    expect(refused(settings, req({}))).toMatch(/x-signature header is missing/);
  });

  it('uses a configured header', () => {
    const custom = { ...settings, header: 'x-acme-signature' };
    expect(verifyWebhook(custom, req({ 'x-acme-signature': signature }))).toEqual({ ok: true });
    expect(refused(custom, req({ 'x-signature': signature }))).toMatch(/x-acme-signature header is missing/);
  });

  it('with x-timestamp signs `${timestamp}.${body}` and holds the timestamp to the window, in seconds or ms', () => {
    const signed = (ts: number) => ({ 'x-timestamp': String(ts), 'x-signature': `sha256=${hmac(SECRET, `${ts}.${BODY}`)}` });
    expect(verifyWebhook(settings, req(signed(NOW_S)))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req(signed(NOW_S - 299)))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req(signed(NOW_S + 299)))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req(signed(NOW - 299_000)))).toEqual({ ok: true });
    expect(refused(settings, req(signed(NOW_S - 301)))).toMatch(/x-timestamp.*outside the replay window/);
    expect(refused(settings, req(signed(NOW_S + 301)))).toMatch(/outside the replay window/);
    expect(refused(settings, req(signed(NOW - 301_000)))).toMatch(/outside the replay window/);
    expect(verifyWebhook({ ...settings, toleranceSeconds: 600 }, req(signed(NOW_S - 301)))).toEqual({ ok: true });
    // The body's signature alone does not pass once a timestamp is sent: the timestamp is signed too.
    expect(refused(settings, req({ 'x-timestamp': String(NOW_S), 'x-signature': signature }))).toMatch(/does not match the body and x-timestamp/);
    expect(refused(settings, req({ ...signed(NOW_S), 'x-timestamp': String(NOW_S + 1) }))).toMatch(/does not match/);
    expect(refused(settings, req({ ...signed(NOW_S), 'x-timestamp': 'yesterday' }))).toMatch(/x-timestamp.*not a number/);
  });
});

describe('github', () => {
  const settings: VerifySettings = { scheme: 'github', secret: "It's a Secret to Everybody" };
  const published = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it("accepts GitHub's published test vector", () => {
    expect(verifyWebhook(settings, req({ 'x-hub-signature-256': published }, Buffer.from('Hello, World!')))).toEqual({ ok: true });
  });

  it('refuses another payload, a missing sha256= prefix, and a missing header', () => {
    expect(refused(settings, req({ 'x-hub-signature-256': published }, Buffer.from('Hello, World?')), published.slice(7))).toMatch(
      /x-hub-signature-256.*does not match the body/,
    );
    expect(refused(settings, req({ 'x-hub-signature-256': published.slice(7) }, Buffer.from('Hello, World!')))).toMatch(/not "sha256=<hex>"/);
    expect(refused(settings, req({ 'x-signature': published }, Buffer.from('Hello, World!')))).toMatch(/x-hub-signature-256 header is missing/);
  });
});

describe('stripe', () => {
  const settings: VerifySettings = { scheme: 'stripe', secret: SECRET };
  const v1 = (t: number, secret = SECRET) => hmac(secret, `${t}.${BODY}`);

  it('accepts t=…,v1=… signed over `${t}.${body}`, within the tolerance either way', () => {
    expect(verifyWebhook(settings, req({ 'stripe-signature': `t=${NOW_S},v1=${v1(NOW_S)}` }))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req({ 'stripe-signature': `t=${NOW_S - 300},v1=${v1(NOW_S - 300)}` }))).toEqual({ ok: true });
    expect(verifyWebhook(settings, req({ 'stripe-signature': `t=${NOW_S + 300},v1=${v1(NOW_S + 300)}` }))).toEqual({ ok: true });
  });

  it('refuses a timestamp past the tolerance, too old or too new, and honours a configured one', () => {
    const old = { 'stripe-signature': `t=${NOW_S - 301},v1=${v1(NOW_S - 301)}` };
    expect(refused(settings, req(old))).toMatch(/stripe-signature.*outside the replay window \(300 s\)/);
    expect(refused(settings, req({ 'stripe-signature': `t=${NOW_S + 301},v1=${v1(NOW_S + 301)}` }))).toMatch(/outside the replay window/);
    expect(verifyWebhook({ ...settings, toleranceSeconds: 400 }, req(old))).toEqual({ ok: true });
    expect(refused({ ...settings, toleranceSeconds: 60 }, req({ 'stripe-signature': `t=${NOW_S - 61},v1=${v1(NOW_S - 61)}` }))).toMatch(/\(60 s\)/);
  });

  it('accepts any matching v1 among several (a secret being rolled) and ignores v0', () => {
    const header = `t=${NOW_S}, v1=${v1(NOW_S, 'whsec_old')}, v1=${v1(NOW_S)}, v0=${'0'.repeat(64)}`;
    expect(verifyWebhook(settings, req({ 'stripe-signature': header }))).toEqual({ ok: true });
    expect(refused(settings, req({ 'stripe-signature': `t=${NOW_S},v1=${v1(NOW_S, 'a')},v1=${v1(NOW_S, 'b')}` }), v1(NOW_S))).toMatch(
      /No v1 signature in the stripe-signature header matches/,
    );
  });

  it('refuses a missing or non-numeric t, no v1, a signature over another t, and a missing header', () => {
    expect(refused(settings, req({ 'stripe-signature': `v1=${v1(NOW_S)}` }))).toMatch(/stripe-signature.*no timestamp/);
    expect(refused(settings, req({ 'stripe-signature': `t=soon,v1=${v1(NOW_S)}` }))).toMatch(/not a number of seconds/);
    expect(refused(settings, req({ 'stripe-signature': `t=${NOW_S},v0=${v1(NOW_S)}` }))).toMatch(/no v1 signature/);
    expect(refused(settings, req({ 'stripe-signature': `t=${NOW_S + 1},v1=${v1(NOW_S)}` }))).toMatch(/matches the body/);
    expect(refused(settings, req({}))).toMatch(/stripe-signature header is missing/);
  });
});

describe('signWebhook', () => {
  const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // not UTF-8: signed as bytes

  it('gives headers that verifyWebhook accepts, for every scheme', () => {
    for (const scheme of VERIFICATION_SCHEMES) {
      const settings: VerifySettings = { scheme, secret: scheme === 'none' ? null : SECRET };
      const headers = signWebhook(settings, body, NOW);
      expect(verifyWebhook(settings, req(headers, body)), scheme).toEqual({ ok: true });
      if (scheme !== 'none') {
        expect(verifyWebhook({ ...settings, secret: 'another' }, req(headers, body)).ok, scheme).toBe(false);
        // A token says who sent the request, not what it says; the signatures cover the body.
        const tampered = verifyWebhook(settings, req(headers, Buffer.concat([body, Buffer.from(' ')])));
        expect(tampered.ok, scheme).toBe(scheme === 'token');
      }
    }
  });

  it('uses a configured header, and Bearer when that header is authorization', () => {
    const hmacSettings: VerifySettings = { scheme: 'hmac_sha256', secret: SECRET, header: 'x-acme-signature' };
    expect(Object.keys(signWebhook(hmacSettings, body, NOW)).sort()).toEqual(['x-acme-signature', 'x-timestamp']);
    const bearer: VerifySettings = { scheme: 'token', secret: SECRET, header: 'authorization' };
    const headers = signWebhook(bearer, body, NOW);
    expect(headers).toEqual({ authorization: `Bearer ${SECRET}` });
    expect(verifyWebhook(bearer, req(headers, body))).toEqual({ ok: true });
  });

  it('signs hmac_sha256 and stripe at `now`, so a late delivery of the same headers is refused', () => {
    for (const scheme of ['hmac_sha256', 'stripe'] as const) {
      const settings: VerifySettings = { scheme, secret: SECRET };
      const headers = signWebhook(settings, body, NOW);
      expect(refused(settings, req(headers, body, NOW + 301_000))).toMatch(/outside the replay window/);
    }
  });

  it('cannot sign without a secret', () => {
    expect(() => signWebhook({ scheme: 'github', secret: null }, body, NOW)).toThrow(/without a secret/);
  });
});
