import { describe, expect, it } from 'vitest';
import { dispatcherConformance } from './conformance.js';
import { InProcessDispatcher } from './in-process.js';

dispatcherConformance('in-process', async (opts) => new InProcessDispatcher(opts));

describe('InProcessDispatcher', () => {
  it('keeps at most `keepFinished` records per outcome', async () => {
    const d = new InProcessDispatcher({ attempts: 1, keepFinished: 2 });
    d.work(async () => {});
    for (let i = 0; i < 5; i++) await d.dispatch({ orgId: 'o', runId: `r${i}` });
    await new Promise((r) => setTimeout(r, 20));
    expect(await d.stats()).toMatchObject({ completed: 2, throughputPerMinute: 5 });
    await d.close();
  });

  it('rejects options no adapter can honour', () => {
    expect(() => new InProcessDispatcher({ concurrency: 0 })).toThrow(RangeError);
  });
});
