// A check's timeout in event-loop time: an answer that arrived while our own CPU work blocked the loop counts, a hung check still fails.
import { MessageChannel, Worker } from 'node:worker_threads';
import { Lifecycle } from '@lbkit/core';
import { createHealth, type Health } from '@lbkit/health';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const TIMEOUT_MS = 100;

function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: nothing else of this thread runs meanwhile
  }
}

/** A dependency on another thread: it answers every message at once, whatever this thread is doing. */
const ECHO = `const { parentPort } = require('node:worker_threads');
parentPort.once('message', (port) => port.on('message', (m) => port.postMessage(m)));`;

describe('check timeouts while the event loop is blocked', () => {
  let worker: Worker;
  const { port1, port2 } = new MessageChannel();
  let health: Health | undefined;

  beforeAll(async () => {
    worker = new Worker(ECHO, { eval: true });
    worker.postMessage(port2, [port2]);
    // One round trip first: the worker is up and listening.
    await new Promise((resolve) => {
      port1.once('message', resolve);
      port1.postMessage('hello');
    });
  });

  afterAll(async () => {
    port1.close();
    await worker.terminate();
  });

  afterEach(async () => {
    await health?.close();
    health = undefined;
  });

  const healthWith = (check: () => Promise<boolean>): Health => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    return createHealth({
      lifecycle,
      cacheMs: 0,
      checks: [{ name: 'echo', timeoutMs: TIMEOUT_MS, check }],
    });
  };

  const echo = (): Promise<boolean> =>
    new Promise((resolve) => {
      port1.once('message', () => resolve(true));
      port1.postMessage('ping');
    });

  /**
   * Runs `start` from an I/O callback (the poll phase), as a request handler runs: CPU work there
   * blocks the loop until the next turn's timers, which run before the poll phase reads anything.
   */
  const inPollPhase = <T>(start: () => Promise<T>): Promise<T> => {
    const trigger = new MessageChannel();
    return new Promise<T>((resolve, reject) => {
      trigger.port1.once('message', () => {
        start().then(resolve, reject);
        trigger.port1.close();
      });
      trigger.port2.postMessage('go');
    });
  };

  for (const stallMs of [TIMEOUT_MS + 50, TIMEOUT_MS * 5]) {
    it(`passes a check whose answer arrived while the loop was blocked for ${stallMs} ms (timeout ${TIMEOUT_MS} ms)`, async () => {
      const checked = healthWith(echo);
      health = checked;
      const result = await inPollPhase(() => {
        const report = checked.report('readiness', { detailed: true });
        blockLoop(stallMs);
        return report;
      });
      expect(result.checks?.echo?.[0]?.status).toBe('pass');
      expect(result.status).toBe('pass');
    });
  }

  it('fails a check that never settles, at its timeout, even while the loop stays saturated', async () => {
    health = healthWith(() => new Promise<boolean>(() => {}));
    let saturating = true;
    const saturate = (): void => {
      blockLoop(TIMEOUT_MS / 4);
      if (saturating) setImmediate(saturate);
    };
    setImmediate(saturate);
    // Were the deadline never to end under a saturated loop, this would hang past the test's timeout.
    const result = await health.report('readiness', { detailed: true });
    saturating = false;
    expect(result.status).toBe('fail');
    expect(result.checks?.echo?.[0]?.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
  });

  it('fails a check that never settles at its timeout on an idle loop', async () => {
    health = healthWith(() => new Promise<boolean>(() => {}));
    const result = await health.report('readiness', { detailed: true });
    expect(result.status).toBe('fail');
    expect(result.checks?.echo?.[0]?.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
  });
});
