import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRelay } from './port.js';

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface RelayHarness {
  /** A relay on the channel of install `name` (a fresh name per test keeps tests apart). */
  make(name: string, options?: { startWaitMs?: number }): RunRelay;
  /** A relay pointed at a server that does not answer. */
  unreachable(name: string, options?: { startWaitMs?: number }): RunRelay;
  /** Cuts the relay's subscribing connection from the server side, as a server restart or a network cut would. */
  cut(relay: RunRelay): Promise<void>;
}

interface Started {
  relay: RunRelay;
  got: string[];
  resyncs: number;
}

/**
 * The behaviour every RunRelay adapter must show (STYLE.md: one suite per port, every adapter
 * passes it), against the real server.
 */
export function relayConformance(name: string, harness: RelayHarness) {
  describe(`RunRelay conformance: ${name}`, () => {
    const made: RunRelay[] = [];
    afterEach(async () => {
      await Promise.all(made.splice(0).map((r) => r.close()));
    });
    const install = () => `relay-test-${randomBytes(5).toString('hex')}`;
    const start = async (relay: RunRelay): Promise<Started> => {
      made.push(relay);
      const s: Started = { relay, got: [], resyncs: 0 };
      await relay.start(
        (p) => s.got.push(p),
        () => s.resyncs++,
      );
      return s;
    };

    it('carries payloads from one process to the others on its channel, in order, up to its size limit', async () => {
      const name = install();
      const a = await start(harness.make(name));
      const b = await start(harness.make(name));
      const other = await start(harness.make(install()));
      const big = 'é'.repeat(Math.floor(a.relay.maxPayloadBytes / 2));
      expect(Buffer.byteLength(big)).toBeLessThanOrEqual(a.relay.maxPayloadBytes);
      const sent = [...Array.from({ length: 50 }, (_, i) => `payload ${i}`), big];
      for (const p of sent) a.relay.send(p);
      await waitFor('b to hear every payload', () => b.got.length >= sent.length);
      expect(b.got).toEqual(sent);
      // Another install's channel hears nothing.
      await sleep(200);
      expect(other.got).toEqual([]);
      expect(b.resyncs).toBe(0);
    });

    it('reconnects after its connection is cut, subscribes again, says so (resync) and hears again', async () => {
      const name = install();
      const a = await start(harness.make(name));
      const b = await start(harness.make(name));
      a.relay.send('before');
      await waitFor('the first payload', () => b.got.includes('before'));
      await harness.cut(b.relay);
      await waitFor('b to resync', () => b.resyncs === 1, 20_000);
      // Subscribed again before resync was called: what is sent now arrives.
      a.relay.send('after');
      await waitFor('the payload after the cut', () => b.got.includes('after'));
      // And b can still send.
      b.relay.send('from b');
      await waitFor('b sending after its cut', () => a.got.includes('from b'));
    });

    it('never throws or waits when the server is unreachable; start gives up waiting; close is quiet and idempotent', async () => {
      const relay = harness.unreachable(install(), { startWaitMs: 300 });
      const t0 = Date.now();
      const s = await start(relay);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(() => relay.send('lost')).not.toThrow();
      await relay.close();
      await relay.close();
      expect(() => relay.send('after close')).not.toThrow();
      expect(s.got).toEqual([]);
    });
  });
}
