// Turns one cell's request records into the figures bench/overload reports.

/** Value at quantile q (0–1) of an ascending array; NaN when empty. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Figures for the window [from, to) ms. Goodput: 2xx answered within `deadlineMs` of their scheduled
 * time and *completed* inside the window, per second, as a fraction of `capacity` (a rate of useful
 * work, so a backlog served after the window cannot count). p50/p99 of admitted (2xx) requests,
 * shed (503) and error (anything else, including unanswered) rates: over the requests scheduled in
 * the window.
 */
export function window(records, from, to, capacity, deadlineMs = 1000) {
  const inside = records.filter((r) => r.due >= from && r.due < to);
  const ok = inside.filter((r) => r.status >= 200 && r.status < 300);
  const good = records.filter((r) => {
    if (!(r.status >= 200 && r.status < 300) || r.latency > deadlineMs) return false;
    const done = r.due + r.latency;
    return done >= from && done < to;
  }).length;
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
 * Time from `dropAt` (load falls back to normal) to the end of the last `bucketMs` bucket before
 * `end` in which more than 1% of the requests (by scheduled time) were bad: shed, failed, or
 * answered later than `okMs`. 0 when no bucket was; Infinity when the last bucket still is. One
 * slow request (a GC pause) does not make a bucket bad; a backlog or a shedding queue does.
 */
export function recoveryMs(records, dropAt, end, okMs, bucketMs = 100) {
  const buckets = new Map();
  for (const r of records) {
    if (r.due < dropAt || r.due >= end) continue;
    const b = Math.floor((r.due - dropAt) / bucketMs);
    const entry = buckets.get(b) ?? { total: 0, bad: 0 };
    entry.total++;
    if (!(r.status >= 200 && r.status < 300 && r.latency <= okMs)) entry.bad++;
    buckets.set(b, entry);
  }
  let lastBad = -1;
  for (const [b, { total, bad }] of buckets) if (bad > 0.01 * total && b > lastBad) lastBad = b;
  if (lastBad < 0) return 0;
  const recovered = (lastBad + 1) * bucketMs;
  return dropAt + recovered >= end ? Number.POSITIVE_INFINITY : recovered;
}
