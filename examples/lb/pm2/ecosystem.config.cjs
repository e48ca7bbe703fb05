// PM2: the demo app (examples/express) in cluster mode, with a reload that never drops a request.
// test/lb/pm2.test.ts loads this file and checks that the timeouts cover the app's drain.
//
// `pm2 start examples/lb/pm2/ecosystem.config.cjs` starts the workers; `pm2 reload lbkit-demo` replaces
// them one by one:
//  1. PM2 forks a new worker and waits for it to send 'ready' (wait_ready): @lbkit/shutdown sends it
//     over IPC once the server listens, so no worker takes traffic before it can serve it. A worker that
//     is not ready within listen_timeout counts as failed.
//  2. PM2 sends SIGINT to the old worker: readiness answers 503, responses carry Connection: close,
//     and after DRAIN_DELAY_MS the listener closes; in-flight requests get DRAIN_TIMEOUT_MS; then the
//     cleanup hook runs (gracefulShutdown's hookTimeoutMs, 5 s by default) and the worker exits 0.
//  3. PM2 kills the worker with SIGKILL if it is still there after kill_timeout, so kill_timeout must
//     cover step 2 with a margin: 1 s + 10 s + 5 s = 16 s ≤ 20 s.
// In cluster mode the workers share one port through node:cluster: the primary (PM2's God daemon)
// hands connections out and stops giving them to a worker once its listener has closed.
const path = require('node:path');

const root = path.join(__dirname, '..', '..', '..');

module.exports = {
  apps: [
    {
      name: 'lbkit-demo',
      script: path.join(root, 'examples', 'express', 'dist', 'main.js'),
      cwd: root,
      exec_mode: 'cluster',
      instances: 2,
      // /whoami and the metrics tell the workers apart by INSTANCE_ID (0, 1, …).
      instance_var: 'INSTANCE_ID',
      wait_ready: true,
      listen_timeout: 10_000,
      kill_timeout: 20_000,
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '3000',
        DRAIN_DELAY_MS: '1000',
        DRAIN_TIMEOUT_MS: '10000',
      },
    },
  ],
};
