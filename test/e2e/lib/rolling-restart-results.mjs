// Formats rolling-restart counts as the 'rolling-restart' section of bench/RESULTS.md.
import { machine, writeSection } from '../../../bench/lib/results.mjs';

/** Markdown table of results keyed by run name (`haproxy lbkit`, `nginx naive`, …). */
export function rollingRestartTable(results) {
  const rows = Object.entries(results).map(([name, r]) => {
    const failures = Object.entries(r.failures)
      .map(([kind, n]) => `${kind} ×${n}`)
      .join(', ');
    return `| ${name} | ${r.requests} | ${r.failed} | ${r.sessionWrites} | ${r.lostWrites} | ${r.duplicateWrites} | ${r.exitCodes.join(' ')} | ${(r.durationMs / 1000).toFixed(1)} s | ${failures || '–'} |`;
  });
  return [
    '| run | requests | failed | session writes | lost writes | duplicated writes | exit codes | duration | failures |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Writes the section from the e2e test's four runs. */
export function writeRollingRestartSection(results) {
  writeSection(
    'rolling-restart',
    `## Rolling restart (test/e2e/rolling-restart.test.ts)

Three instances of the Express demo (Redis sessions) behind a real HAProxy (health checks on /health/ready) and a
real nginx (passive checks only), 12 keep-alive virtual users sending GET /slow?ms=0..500, POST /session/:key and
GET /session; every instance is restarted in turn (SIGTERM, exit, replacement on the same port, wait until the
balancer uses it). "lbkit" is the demo's gracefulShutdown (DRAIN_DELAY_MS 1500 for HAProxy, 1000 for nginx);
"naive" is \`server.close(); process.exit(0)\` on SIGTERM. Failed = non-2xx answers or connection errors seen by
clients; lost writes = acknowledged session writes missing at the end; duplicated writes = session increments applied
twice because a balancer re-ran a request whose first attempt had already run.

${rollingRestartTable(results)}

Reproduce: \`pnpm build && LBKIT_WRITE_RESULTS=1 npx vitest run test/e2e/rolling-restart.test.ts\` — ${machine()}.`,
  );
}
