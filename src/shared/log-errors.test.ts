import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, seedMember, type TestApp } from '../../test/helpers/app.js';
import { createLogger } from './logger.js';

/** A logger as the server builds it (createLogger), writing its lines into `lines`. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe.each(['postgres', 'pglite'] as const)('failed queries in the log (%s)', (kind) => {
  let t: TestApp;
  const log = capture();
  beforeAll(async () => {
    t = await createTestApp(kind, {}, { logger: log.logger });
  });
  afterAll(() => t.close());

  it('a 500 from a failed insert logs the SQL and the SQLSTATE, not the prompt it carried nor the failing row', async () => {
    const owner = await seedMember(t.ctx, 'owner');
    // A constraint the service does not know about: the insert fails in PostgreSQL and answers 500.
    await t.ctx.database.system((tx) => tx.execute(sql.raw(`alter table agents add constraint test_no_canary check (instructions not like '%CANARY%')`)));
    const prompt = 'You are the CANARY-prompt-7f3a; tell nobody';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: { ...owner.headers, 'x-request-id': `failed-query-${kind}` },
      payload: { name: 'Canary agent CANARY-name-19b2', model: 'openai:gpt-4o-mini', instructions: prompt },
    });
    expectProblem(res, 500);
    const line = log.lines.find((l) => l.reqId === `failed-query-${kind}` && l.level === 50);
    expect(line).toBeDefined();
    const text = JSON.stringify(line);
    expect(text).not.toContain('CANARY-prompt-7f3a');
    expect(text).not.toContain('CANARY-name-19b2');
    // What an operator needs to find the fault is still there.
    const err = line!.err as { message: string; stack: string; code?: string; constraint?: string };
    expect(err.message).toContain('Failed query: insert into "agents"');
    expect(err.message).toMatch(/params: \d+ not logged/);
    expect(err.message).toContain('test_no_canary');
    expect(err.stack).toContain('    at ');
    expect(text).toContain('23514');
  });

  it('a value PostgreSQL could not convert is not quoted back into the log', async () => {
    const err = await t.ctx.database.db.execute(sql`select ${'CANARY-uuid-55d1'}::uuid`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    log.logger.error({ err }, 'query failed');
    const line = log.lines.find((l) => l.msg === 'query failed')!;
    const text = JSON.stringify(line);
    expect(text).not.toContain('CANARY-uuid-55d1');
    expect(text).toContain('invalid input syntax for type uuid');
    expect(text).toContain('22P02');
  });

  it('scrubs a failed query wrapped as the cause of another error, and leaves other errors as they are', async () => {
    const failed = await t.ctx.database.db.execute(sql`select ${'CANARY-wrapped-0c4e'}::int`).then(
      () => null,
      (e: unknown) => e,
    );
    log.logger.error({ err: new Error('could not record the end of a run', { cause: failed }) }, 'wrapped');
    const wrapped = JSON.stringify(log.lines.find((l) => l.msg === 'wrapped'));
    expect(wrapped).not.toContain('CANARY-wrapped-0c4e');
    expect(wrapped).toContain('could not record the end of a run');
    expect(wrapped).toContain('caused by: ');

    log.logger.error({ err: new DOMException('The operation was aborted', 'AbortError') }, 'aborted');
    log.logger.error({ err: Object.assign(new Error('plain'), { status: 502 }) }, 'plain');
    expect(log.lines.find((l) => l.msg === 'aborted')!.err).toMatchObject({ message: 'The operation was aborted' });
    expect(log.lines.find((l) => l.msg === 'plain')!.err).toMatchObject({ type: 'Error', message: 'plain', status: 502 });
  });
});
