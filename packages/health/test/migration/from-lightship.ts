// The README's "From lightship" example, compiled and run by from-lightship.test.ts against lightship's documented answers.
import { createServer } from 'node:http';
import { Lifecycle } from '@lbkit/core';
import { createHealth } from '@lbkit/health';

/** lightship's probe service: /health, /live and /ready on a port of their own, 500 on failure. */
export function createProbeServer(lifecycle = new Lifecycle()) {
  const health = createHealth({
    lifecycle,
    paths: { health: '/health', liveness: '/live', readiness: '/ready', startup: false },
    statusCodes: { fail: 500 },
    // lightship answers its state as plain text.
    body: ({ probe, report }) => {
      if (probe === 'liveness') {
        return lifecycle.accepting ? 'SERVER_IS_NOT_SHUTTING_DOWN' : 'SERVER_IS_SHUTTING_DOWN';
      }
      if (report.status !== 'fail') return 'SERVER_IS_READY';
      return lifecycle.state === 'starting' ? 'SERVER_IS_NOT_READY' : 'SERVER_IS_SHUTTING_DOWN';
    },
  });
  const server = createServer((req, res) => {
    if (!health.handle(req, res)) res.writeHead(404).end();
  });
  return { server, health, lifecycle };
}

/** lightship's beacon around a queue job: the drain waits for it, at most 30 s. */
export async function runJob(lifecycle: Lifecycle, job: () => Promise<void>): Promise<void> {
  const release = lifecycle.hold('queue-job', { timeoutMs: 30_000 });
  try {
    await job();
  } finally {
    release();
  }
}
