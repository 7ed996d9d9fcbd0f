import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { AppError } from '../shared/errors.js';
import { compileAllowlist, EMPTY_ALLOWLIST } from '../tools/net/allowlist.js';
import { EgressRefused, maskedUrl, parseConnectionString, pinnedConfig, viewOf } from './connection.js';
import { eventTableName, parseTableName, quoteIdent, quoteTable } from './identifiers.js';

describe('connection strings', () => {
  it('takes the URL form, with its parts decoded; the mask hides the password', () => {
    const spec = parseConnectionString('postgresql://shop%40app:p%2Fss@db.example.com:6543/shop%20db?sslmode=verify-full&channel_binding=require');
    expect(spec).toEqual({ host: 'db.example.com', port: 6543, database: 'shop db', user: 'shop@app', password: 'p/ss', sslmode: 'verify-full' });
    const masked = maskedUrl({ ...viewOf(spec), hasPassword: true });
    expect(masked).toBe('postgres://shop%40app:••••@db.example.com:6543/shop%20db?sslmode=verify-full');
    expect(masked).not.toContain('p/ss');
    expect(parseConnectionString('postgres://u@[::1]/d')).toMatchObject({ host: '::1', port: 5432, password: null, sslmode: 'disable' });
  });

  it('refuses what would read server files, point elsewhere or downgrade TLS, naming the field', () => {
    for (const bad of [
      'postgres://u@h/d?sslrootcert=/etc/passwd',
      'postgres://u@h/d?sslkey=/root/key',
      'postgres://u@h/d?host=/var/run/postgresql',
      'postgres://u@h/d?sslmode=prefer',
      'postgres://u@%2Ftmp/d',
      'postgres://u@h1,h2/d',
      'postgres://h/d',
      'postgres://u@h/',
      'mysql://u@h/d',
    ]) {
      let err: unknown;
      try {
        parseConnectionString(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(AppError);
      expect((err as AppError).errors?.[0]?.path, bad).toBe('body.connectionString');
    }
  });

  it('pins pg to the checked address and keeps the host name for TLS; private addresses need the operator', async () => {
    const spec = parseConnectionString('postgres://u:pw@localhost:5432/d?sslmode=verify-full');
    await expect(pinnedConfig(spec, EMPTY_ALLOWLIST, { applicationName: 'x' })).rejects.toThrow(EgressRefused);
    await expect(pinnedConfig(spec, EMPTY_ALLOWLIST, { applicationName: 'x' })).rejects.toThrow(/TROUPE_PRIVATE_DATABASE_HOSTS/);
    const config = await pinnedConfig(spec, compileAllowlist(['127.0.0.0/8', '::1/128']), { applicationName: 'x' });
    expect(config.host).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(config.ssl).toMatchObject({ servername: 'localhost', rejectUnauthorized: true });
    expect(config.password).toBe('pw');
    const plain = await pinnedConfig(parseConnectionString('postgres://u@127.0.0.1/d'), compileAllowlist(['127.0.0.1']), { applicationName: 'x' });
    expect(plain.ssl).toBe(false);
  });

  it('TROUPE_PRIVATE_DATABASE_HOSTS takes the allowlist syntax and refuses the rest by name', () => {
    expect(loadConfig({ TROUPE_PRIVATE_DATABASE_HOSTS: '10.0.0.0/8, *.corp.example, 127.0.0.1' }).TROUPE_PRIVATE_DATABASE_HOSTS).toEqual(['10.0.0.0/8', '*.corp.example', '127.0.0.1/32']);
    expect(() => loadConfig({ TROUPE_PRIVATE_DATABASE_HOSTS: 'postgres://db:5432' })).toThrow(/TROUPE_PRIVATE_DATABASE_HOSTS/);
    expect(() => loadConfig({ TROUPE_PRIVATE_DATABASE_HOSTS: '0.0.0.0/0' })).toThrow(/TROUPE_PRIVATE_DATABASE_HOSTS/);
  });
});

describe('identifiers', () => {
  it('qualifies, quotes and names tables for event types', () => {
    expect(parseTableName('orders')).toEqual({ schema: 'public', table: 'orders' });
    expect(parseTableName('sales.line-items')).toEqual({ schema: 'sales', table: 'line-items' });
    expect(parseTableName('a.b.c')).toBeNull();
    expect(parseTableName('x"y')).toBeNull();
    expect(quoteTable({ schema: 'sales', table: 'Line-Items' })).toBe('"sales"."Line-Items"');
    expect(() => quoteIdent('a"; drop table x; --')).toThrow();
    expect(eventTableName({ schema: 'public', table: 'orders' })).toBe('orders');
    expect(eventTableName({ schema: 'sales', table: 'price$list' })).toBe('sales.price_list');
  });
});
