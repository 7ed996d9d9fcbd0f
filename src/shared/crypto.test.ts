import { describe, expect, it } from 'vitest';
import { SecretBox, deriveKey, randomToken, safeEqual, sha256 } from './crypto.js';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(Buffer.alloc(32, 1));

  it('round-trips, with a fresh IV every time', () => {
    const a = box.encrypt('sk-secret', 'org:openai');
    const b = box.encrypt('sk-secret', 'org:openai');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\./);
    expect(a).not.toContain('sk-secret');
    expect(box.decrypt(a, 'org:openai')).toBe('sk-secret');
  });

  it('refuses tampering, another key and other associated data', () => {
    const sealed = box.encrypt('sk-secret', 'org-a:openai');
    expect(() => box.decrypt(sealed, 'org-b:openai')).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 2)).decrypt(sealed, 'org-a:openai')).toThrow();
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    expect(() => box.decrypt([...parts.slice(0, 3), ct.toString('base64url')].join('.'), 'org-a:openai')).toThrow();
    expect(() => box.decrypt('garbage', '')).toThrow(/Unrecognised secret format/);
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow();
  });
});

describe('token helpers', () => {
  it('derives distinct keys per purpose and makes prefixed random tokens', () => {
    const master = Buffer.alloc(32, 3);
    expect(Buffer.from(deriveKey(master, 'a'))).not.toEqual(Buffer.from(deriveKey(master, 'b')));
    expect(Buffer.from(deriveKey(master, 'a'))).toEqual(Buffer.from(deriveKey(master, 'a')));
    const t1 = randomToken('trp_');
    expect(t1).toMatch(/^trp_[\w-]{43}$/);
    expect(randomToken('trp_')).not.toBe(t1);
    expect(sha256('x')).toBe('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
