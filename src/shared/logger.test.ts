import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from './logger.js';

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
