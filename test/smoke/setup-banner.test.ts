import { afterAll, describe, expect, it } from 'vitest';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';

/**
 * The first start of the real server: the one-time setup token is printed for a person, in a box
 * with the page to open, and the JSON log says only that one was issued.
 */
describe('smoke: the first-start setup token', () => {
  let p: TroupeProcess | undefined;
  afterAll(async () => {
    await p?.stop();
  });

  it('is printed in a box with the setup page, never inside a JSON log line', { timeout: 120_000 }, async () => {
    p = startTroupe(['serve'], { PORT: '0', HOST: '127.0.0.1', TROUPE_DATA_DIR: 'memory://', LOG_LEVEL: 'info', DATABASE_URL: '', REDIS_URL: '', TROUPE_SECRET_KEY: '' });
    const [, url] = await p.waitFor(/Troupe is running at (http:\/\/\S+)/, 90_000);
    await p.waitFor(/└─+┘/);
    // pino writes asynchronously: its line may come after the banner.
    await p.waitFor(/"msg":"[^"]*setup token was issued/);
    const output = p.output();
    const token = /│\s+(trs_[\w-]+)\s+│/.exec(output)?.[1];
    expect(token).toBeDefined();

    const lines = output.split('\n');
    const top = lines.findIndex((l) => /^┌─+┐$/.test(l));
    const bottom = lines.findIndex((l) => /^└─+┘$/.test(l));
    expect(top).toBeGreaterThanOrEqual(0);
    const box = lines.slice(top, bottom + 1);
    // Every line of the box is as wide as its frame.
    expect(new Set(box.map((l) => l.length)).size).toBe(1);
    expect(box.join('\n')).toContain('First start: no account exists yet');
    expect(box.join('\n')).toContain(`Open ${url}/setup`);

    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string });
    expect(json.some((l) => /setup token was issued/.test(l.msg ?? ''))).toBe(true);
    for (const l of lines.filter((x) => x.startsWith('{'))) expect(l).not.toContain(token!);

    // The token works.
    const res = await fetch(`${url}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, email: 'owner@example.com', password: 'a long owner password', name: 'Owner', organizationName: 'Org' }),
    });
    expect(res.status).toBe(201);
  });
});
