// The demo's primary: sessions backend, instances, an optional real balancer, the load generator and the live page.
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { connectionBalancer, READY_MESSAGE } from '@lbkit/shutdown';
import { BALANCED_SLOTS, type Balancer, startBalancer } from './balancer.js';
import { startDashboard } from './dashboard.js';
import { LoadGenerator } from './load.js';
import type { DemoOptions } from './options.js';
import { findBinary, freePort, sessionBackend } from './sessions.js';
import { Supervisor } from './supervisor.js';

/** Runs until SIGINT/SIGTERM, then drains every instance and stops what it started. */
export async function runPrimary(options: DemoOptions): Promise<void> {
  const sessions = await sessionBackend(process.env);
  console.log(`lbkit demo: ${sessions.description}`);

  let lb = options.lb;
  if (lb && !findBinary(lb)) {
    console.log(`lbkit demo: ${lb} is not installed; running node:cluster alone`);
    lb = undefined;
  }
  let instances = options.instances;
  if (lb && instances !== BALANCED_SLOTS) {
    console.log(
      `lbkit demo: examples/lb/${lb === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf'} has ${BALANCED_SLOTS} servers; running ${BALANCED_SLOTS} instances`,
    );
    instances = BALANCED_SLOTS;
  }
  // Under node:cluster alone, a balance other than round robin makes this primary own the port and
  // hand each connection to a ready instance (connectionBalancer; the instances take them with clusterWorker).
  const balance = !lb && options.balance !== 'round-robin' ? options.balance : undefined;
  if (lb && options.balance !== 'round-robin') {
    console.log(`lbkit demo: --balance is for node:cluster alone; ${lb} balances here`);
  }
  // Behind a balancer each instance has its own port; under node:cluster alone they share the app's.
  const slotPorts = lb ? await Promise.all(Array.from({ length: instances }, () => freePort())) : [];
  const supervisor = new Supervisor({
    count: instances,
    env: (slot) => ({
      PORT: String(lb ? slotPorts[slot] : options.port),
      HOST: options.host,
      INSTANCE_ID: `instance-${slot + 1}`,
      DRAIN_DELAY_MS: String(options.drainDelayMs),
      DRAIN_TIMEOUT_MS: String(options.drainTimeoutMs),
      ...(balance ? { lbkit_cluster_balance: balance } : {}),
      ...(sessions.url ? { REDIS_URL: sessions.url } : {}),
    }),
    // Drain delay + drain timeout + the cleanup hook's default 5 s, and a margin.
    stopTimeoutMs: options.drainDelayMs + options.drainTimeoutMs + 10_000,
  });
  supervisor.on('log', (line) => console.log(`lbkit demo: ${line}`));
  const handoff = balance
    ? connectionBalancer({
        balance,
        port: options.port,
        host: options.host,
        // Ready instances only: not starting, not draining (the supervisor's view, matched by pid).
        workers: () =>
          Object.values(cluster.workers ?? {}).flatMap((worker) => {
            const view = worker && supervisor.workers.find((w) => w.pid === worker.process.pid);
            return worker && view?.status === 'ready' ? [{ worker, slot: view.slot }] : [];
          }),
      })
    : undefined;
  if (handoff) {
    await handoff.ready;
    // After the supervisor's own listener has marked the instance ready.
    cluster.on('message', (_worker, message) => {
      if (message === READY_MESSAGE) setImmediate(() => handoff.flush());
    });
  }
  if (!(await supervisor.start())) console.log('lbkit demo: an instance failed to start (see above)');

  let balancer: Balancer | undefined;
  if (lb) balancer = await startBalancer(lb, options.port, slotPorts);
  const mode = balancer
    ? `${instances} instances behind ${balancer.kind} (${balancer.config})`
    : `${instances} instances under node:cluster${balance ? ` (balance: ${balance})` : ''}`;
  const appUrl = `http://${options.host}:${options.port}`;
  const load = new LoadGenerator(appUrl);
  const dashboard = await startDashboard({
    port: options.dashboardPort,
    host: options.host,
    mode,
    appUrl,
    sessions: sessions.description,
    supervisor,
    load,
  });
  const { port: dashboardPort } = dashboard.server.address() as AddressInfo;
  console.log(`lbkit demo: ${mode}; app on ${appUrl}`);
  console.log(`lbkit demo: live page on http://${options.host}:${dashboardPort} (Ctrl-C to stop)`);
  console.log('  try: /whoami  /session  /health/ready  /metrics  /slow?ms=500  /work?ms=20');

  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`lbkit demo: ${signal}, draining every instance`);
    load.close();
    handoff?.close();
    await supervisor.stop();
    balancer?.stop();
    sessions.stop();
    dashboard.close();
    process.exit(0);
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}
