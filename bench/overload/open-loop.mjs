// Open-loop and closed-loop HTTP load for bench/overload: arrivals on a fixed schedule, latency from the scheduled time.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/**
 * Sends GET `path` on a fixed schedule through `phases` ([{ rate, durationMs }], back to back), never
 * waiting for responses: request k of a phase is due at phaseStart + k / rate, and its latency is
 * measured from that due time (so queueing inside the generator, if any, counts against the server,
 * as it would for a real client; no coordinated omission). Resolves with one record per request:
 * { due (ms since start), phase, status (0 = error or unfinished), latency (ms) }. `startAt` is the
 * `performance.now()` of the first due time (default: 20 ms from now).
 */
export async function openLoop({ origin, path, phases, connections = 512, drainMs = 3000, startAt }) {
  const pool = new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const total = phases.reduce((n, p) => n + Math.round((p.rate * p.durationMs) / 1000), 0);
  const records = new Array(total);
  let sent = 0;
  let done = 0;
  const t0 = startAt ?? performance.now() + 20;
  const schedule = [];
  let offset = 0;
  for (const [index, phase] of phases.entries()) {
    const n = Math.round((phase.rate * phase.durationMs) / 1000);
    for (let k = 0; k < n; k++) schedule.push([offset + (k * 1000) / phase.rate, index]);
    offset += phase.durationMs;
  }
  const end = offset;
  await new Promise((resolve) => {
    const fire = () => {
      const now = performance.now() - t0;
      while (sent < total && schedule[sent][0] <= now) {
        const [due, phase] = schedule[sent];
        const slot = sent++;
        records[slot] = { due, phase, status: 0, latency: Number.POSITIVE_INFINITY };
        pool.request({ path, method: 'GET' }).then(
          async ({ statusCode, body }) => {
            await body.dump();
            records[slot].status = statusCode;
            records[slot].latency = performance.now() - t0 - due;
            done++;
          },
          () => {
            records[slot].latency = performance.now() - t0 - due;
            done++;
          },
        );
      }
      if (sent < total) setTimeout(fire, 1);
      else resolve();
    };
    setTimeout(fire, Math.max(0, t0 - performance.now()));
  });
  // Let what is still in flight finish, up to a bound; whatever is left counts as failed.
  const deadline = performance.now() + drainMs;
  while (done < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await pool.destroy().catch(() => {});
  return { records, durationMs: end };
}

/**
 * Saturation throughput: `connections` clients each sending the next request as soon as the last
 * answered. Resolves with the answers per second that `counts` accepts (2xx by default).
 */
export async function closedLoop({
  origin,
  path,
  connections = 32,
  warmupMs = 1000,
  durationMs = 3000,
  counts = (status) => status >= 200 && status < 300,
}) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  let ok = 0;
  let counting = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const { statusCode, body } = await pool.request({ path, method: 'GET' });
        await body.dump();
        if (counting && counts(statusCode)) ok++;
      } catch {}
    }
  };
  const workers = Array.from({ length: connections }, worker);
  await new Promise((r) => setTimeout(r, warmupMs));
  counting = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  counting = false;
  const elapsed = performance.now() - started;
  stop = true;
  await Promise.allSettled(workers);
  await pool.destroy().catch(() => {});
  return (ok * 1000) / elapsed;
}
