import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS, redactSecrets } from './logger.js';

describe('log redaction', () => {
  it('blanks secrets at the top level and nested one or two levels deep', () => {
    let out = '';
    const stream = new Writable({
      write(chunk, _e, done) {
        out += String(chunk);
        done();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
    log.info({ apiKey: 'sk-top', password: 'pw-top' }, 'top');
    log.info({ body: { apiKey: 'sk-one', token: 'tok-one' } }, 'one');
    log.info({ req: { body: { apiKey: 'sk-two', refreshToken: 'trr-two' } } }, 'two');
    log.info({ req: { headers: { authorization: 'Bearer abc' } } }, 'headers');
    for (const secret of ['sk-top', 'pw-top', 'sk-one', 'tok-one', 'sk-two', 'trr-two', 'Bearer abc']) expect(out).not.toContain(secret);
    expect(out.match(/\[redacted\]/g)).toHaveLength(7);
  });
});

describe('createLogger', () => {
  const capture = () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { lines, log: createLogger('info', stream) };
  };

  it('blanks what REDACT_PATHS names, in log lines and in child bindings, and leaves the rest alone', () => {
    const { lines, log } = capture();
    log.info({ apiKey: 'sk-top', password: 'pw-top', keep: 'visible-0' }, 'top');
    log.info({ body: { apiKey: 'sk-one', token: 'tok-one', keep: 'visible-1' } }, 'one');
    log.info({ req: { body: { apiKey: 'sk-two', refreshToken: 'trr-two' } } }, 'two');
    log.info({ req: { headers: { authorization: 'Bearer abc', cookie: 'c=1', 'x-api-key': 'xk', host: 'visible-2' } } }, 'headers');
    log.info({ res: { headers: { 'set-cookie': 'sc=1' } } }, 'set-cookie');
    const child = log.child({ token: 'tok-child', tool: 'visible-3' });
    child.child({ secret: 'sec-grandchild' }).info('bindings');
    const out = lines.join('');
    for (const secret of ['sk-top', 'pw-top', 'sk-one', 'tok-one', 'sk-two', 'trr-two', 'Bearer abc', 'c=1', 'xk', 'sc=1', 'tok-child', 'sec-grandchild']) expect(out).not.toContain(secret);
    for (const kept of ['visible-0', 'visible-1', 'visible-2', 'visible-3']) expect(out).toContain(kept);
    expect(out.match(/\[redacted\]/g)).toHaveLength(12);
  });

  it('does not change the logged object', () => {
    const { log } = capture();
    const obj = { body: { password: 'pw' } };
    log.info(obj, 'x');
    expect(obj.body.password).toBe('pw');
    expect(redactSecrets({ a: 1, b: { c: 2 } })).toEqual({ a: 1, b: { c: 2 } });
  });
});
