import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { parseSecretKey, resolveSecretKey } from './secret-key.js';

const dir = mkdtempSync(path.join(tmpdir(), 'troupe-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('starts with no configuration at all: embedded database, port 3000, sign-up open', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', databaseKind: 'embedded', TROUPE_ALLOW_SIGNUP: true, corsOrigins: [] });
    expect(c.dataDir).toBe(path.resolve('.troupe'));
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
  });

  it('keeps memory:// as an in-memory database: no folder, and a key that lives only in the process', () => {
    const c = loadConfig({ TROUPE_DATA_DIR: 'memory://' });
    expect(c.dataDir).toBe('memory://');
    expect(resolveSecretKey(c)).toMatchObject({ generated: true });
    expect(() => statSync(path.resolve('memory:'))).toThrow();
  });

  it('names the variable and what it allows when a value is wrong', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT: .*number.*\(got "abc"\)/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ TROUPE_ALLOW_SIGNUP: 'perhaps' })).toThrow(/TROUPE_ALLOW_SIGNUP/);
  });

  it('reads TROUPE_TRUST_PROXY as off, true, a hop count or a list of addresses and CIDRs', () => {
    expect(loadConfig({}).TROUPE_TRUST_PROXY).toBe(false);
    expect(loadConfig({ TROUPE_TRUST_PROXY: 'false' }).TROUPE_TRUST_PROXY).toBe(false);
    expect(loadConfig({ TROUPE_TRUST_PROXY: 'true' }).TROUPE_TRUST_PROXY).toBe(true);
    expect(loadConfig({ TROUPE_TRUST_PROXY: '2' }).TROUPE_TRUST_PROXY).toBe(2);
    expect(loadConfig({ TROUPE_TRUST_PROXY: '10.0.0.0/8, 192.168.1.5,fd00::/8 , loopback' }).TROUPE_TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.168.1.5',
      'fd00::/8',
      'loopback',
    ]);
    expect(() => loadConfig({ TROUPE_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TROUPE_TRUST_PROXY: must be true, a hop count.*"10.0.0.0\/33"/);
    expect(() => loadConfig({ TROUPE_TRUST_PROXY: 'proxy.example.com' })).toThrow(/TROUPE_TRUST_PROXY/);
  });

  it('never echoes a secret value in the error', () => {
    let message = '';
    try {
      loadConfig({ TROUPE_OWNER_PASSWORD: 'short-pw', TROUPE_OWNER_EMAIL: 'a@b.c' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/TROUPE_OWNER_PASSWORD: must be at least 10 characters/);
    expect(message).not.toContain('short-pw');
  });

  it('requires TROUPE_SECRET_KEY with DATABASE_URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/db' })).toThrow(/TROUPE_SECRET_KEY: required when DATABASE_URL is set/);
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/db', TROUPE_SECRET_KEY: 'f'.repeat(64) }).databaseKind).toBe('postgres');
  });

  it('reads a YAML or JSON file named by TROUPE_CONFIG_FILE; the environment wins; empty env values count as unset', () => {
    const yaml = path.join(dir, 'troupe.yaml');
    writeFileSync(yaml, 'PORT: 4000\nTROUPE_CORS_ORIGINS: "https://a.example, https://b.example"\nLOG_LEVEL: warn\n');
    const c = loadConfig({ TROUPE_CONFIG_FILE: yaml, LOG_LEVEL: 'debug', PORT: '' });
    expect(c).toMatchObject({ PORT: 4000, LOG_LEVEL: 'debug', corsOrigins: ['https://a.example', 'https://b.example'] });
    const json = path.join(dir, 'troupe.json');
    writeFileSync(json, '{"HOST": "0.0.0.0"}');
    expect(loadConfig({ TROUPE_CONFIG_FILE: json }).publicUrl).toBe('http://localhost:3000');
    writeFileSync(json, '{"HOST": ');
    expect(() => loadConfig({ TROUPE_CONFIG_FILE: json })).toThrow(/TROUPE_CONFIG_FILE: .* is not valid JSON/);
    expect(() => loadConfig({ TROUPE_CONFIG_FILE: path.join(dir, 'missing.yaml') })).toThrow(/TROUPE_CONFIG_FILE: no file at/);
    writeFileSync(json, '[1, 2]');
    expect(() => loadConfig({ TROUPE_CONFIG_FILE: json })).toThrow(/must hold an object/);
  });
});

describe('secret key', () => {
  it('accepts 64 hex characters or base64 of 32 bytes, and names the source otherwise', () => {
    expect(parseSecretKey('ab'.repeat(32), 'X')).toHaveLength(32);
    expect(parseSecretKey(Buffer.alloc(32, 9).toString('base64'), 'X')).toEqual(Buffer.alloc(32, 9));
    expect(() => parseSecretKey('too short', 'TROUPE_SECRET_KEY')).toThrow(/TROUPE_SECRET_KEY: must be 32 bytes/);
  });

  it('is generated once into the embedded data folder with owner-only permissions, then reused', () => {
    const config = loadConfig({ TROUPE_DATA_DIR: path.join(dir, 'data') });
    const first = resolveSecretKey(config);
    expect(first.generated).toBe(true);
    const file = path.join(dir, 'data', 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = resolveSecretKey(config);
    expect(second).toEqual({ key: first.key, generated: false });
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key.toString('hex'));
  });

  it('prefers TROUPE_SECRET_KEY over the file', () => {
    const config = loadConfig({ TROUPE_DATA_DIR: path.join(dir, 'data'), TROUPE_SECRET_KEY: 'cd'.repeat(32) });
    expect(resolveSecretKey(config).key.toString('hex')).toBe('cd'.repeat(32));
  });
});
