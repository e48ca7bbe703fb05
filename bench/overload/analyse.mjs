// Turns one cell's request records into the figures bench/overload reports.

/** Value at quantile q (0–1) of an ascending array; NaN when empty. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Figures over the requests scheduled in [from, to) ms: goodput (2xx within `deadlineMs`, per
 * second, as a fraction of `capacity`), p50/p99 of admitted (2xx) requests, shed (503) and error
 * (anything else, including unanswered) rates.
 */
export function window(records, from, to, capacity, deadlineMs = 1000) {
  const inside = records.filter((r) => r.due >= from && r.due < to);
  const ok = inside.filter((r) => r.status >= 200 && r.status < 300);
  const good = ok.filter((r) => r.latency <= deadlineMs).length;
  const shed = inside.filter((r) => r.status === 503).length;
  const latencies = ok.map((r) => r.latency).sort((a, b) => a - b);
  const seconds = (to - from) / 1000;
  return {
    offered: inside.length / seconds,
    goodput: good / seconds / capacity,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    shedRate: inside.length ? shed / inside.length : 0,
    errorRate: inside.length ? (inside.length - ok.length - shed) / inside.length : 0,
  };
}

/**
 * Time from `dropAt` (load falls back to normal) until the start of the first `bucketMs` bucket
 * from which on, to `end`, every request is a 2xx answered within `okMs`. Infinity when that never
 * happens before `end`.
 */
export function recoveryMs(records, dropAt, end, okMs, bucketMs = 50) {
  const after = records.filter((r) => r.due >= dropAt && r.due < end);
  let lastBad = -1;
  for (const r of after) {
    const good = r.status >= 200 && r.status < 300 && r.latency <= okMs;
    if (!good && r.due > lastBad) lastBad = r.due;
  }
  if (lastBad < 0) return 0;
  const recoveredAt = dropAt + (Math.floor((lastBad - dropAt) / bucketMs) + 1) * bucketMs;
  return recoveredAt >= end ? Number.POSITIVE_INFINITY : recoveredAt - dropAt;
}
