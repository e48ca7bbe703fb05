// The README's "From @godaddy/terminus" example, compiled and run side by side with terminus by from-terminus.test.ts.
import { createServer } from 'node:http';
import { Lifecycle } from '@lbkit/core';
import { createHealth } from '@lbkit/health';

/** terminus's README configuration: `healthChecks: { '/healthcheck': check }`, `onSendFailureDuringShutdown`. */
export function createApp(check: () => Promise<void>, onSendFailureDuringShutdown: () => void) {
  const lifecycle = new Lifecycle();
  const health = createHealth({
    lifecycle,
    // terminus serves only the routes it is given.
    paths: { liveness: false, readiness: false, startup: false, health: false },
    probes: { '/healthcheck': check },
    // terminus runs the check on every request and answers { status: 'ok' | 'error' }.
    cacheMs: 0,
    statusCodes: { pass: 200, fail: 503 },
    body: ({ report }) => ({ status: report.status === 'fail' ? 'error' : 'ok' }),
    onFailureDuringShutdown: onSendFailureDuringShutdown,
  });
  const server = createServer((req, res) => {
    if (health.handle(req, res)) return;
    res.end('Hello, World!');
  });
  // terminus's state.isShuttingDown: gracefulShutdown() from @lbkit/shutdown calls this on SIGTERM.
  const beginShutdown = () => lifecycle.beginDrain('SIGTERM');
  lifecycle.markReady();
  return { server, health, beginShutdown };
}
