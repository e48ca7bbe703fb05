// Loaded with `node --expose-gc --import` into a demo process: every SOAK_SAMPLE_MS, a full GC, then heapUsed appended to SOAK_HEAP_FILE.
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const file = process.env.SOAK_HEAP_FILE;
const everyMs = Number(process.env.SOAK_SAMPLE_MS ?? 10_000);
if (!file || typeof globalThis.gc !== 'function') {
  throw new Error('heap-sampler: needs SOAK_HEAP_FILE and node --expose-gc');
}

function sample() {
  // Two passes: the first may only queue finalizers (WeakRefs, FinalizationRegistry) that free more.
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, rss, external } = process.memoryUsage();
  appendFileSync(file, `${JSON.stringify({ t: Math.round(performance.now()), heapUsed, rss, external })}\n`);
}

setInterval(sample, everyMs).unref();

// SOAK_SNAPSHOTS_AT=60,200 and SOAK_SNAPSHOT_DIR: heap snapshots at those seconds after start, to find what grows.
for (const at of (process.env.SOAK_SNAPSHOTS_AT ?? '').split(',').filter(Boolean)) {
  setTimeout(async () => {
    const { writeHeapSnapshot } = await import('node:v8');
    globalThis.gc();
    writeHeapSnapshot(`${process.env.SOAK_SNAPSHOT_DIR ?? '.'}/${process.pid}-${at}s.heapsnapshot`);
  }, Number(at) * 1000).unref();
}
