// One demo instance under the cluster primary: the Express demo app, graceful shutdown, stats over IPC.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Lifecycle } from '@lbkit/core';
import { gracefulShutdown } from '@lbkit/express';
import { clusterWorker } from '@lbkit/shutdown';
import { createApp } from '@lbkit-examples/express';
import { readConfig, shutdownOptions } from '@lbkit-examples/shared';
import type { Registry } from 'prom-client';
import { readStats } from './stats.js';

/** How often the instance reports to the primary. */
const STATS_INTERVAL_MS = 300;

/** Starts the instance; gracefulShutdown sends `ready` to the primary and drains on its `shutdown` message. */
export async function runWorker(): Promise<void> {
  const config = readConfig();
  const lifecycle = new Lifecycle();
  const demo = await createApp({ config, lifecycle });
  // clusterWorker() listens on the shared port, or takes connections from the primary under --balance.
  const server = createServer(demo.app);
  const shutdown = gracefulShutdown(server, {
    ...shutdownOptions({ config, lifecycle, close: demo.close }),
    ipc: true,
  });
  demo.metrics.observe({ shutdown });
  const worker = clusterWorker({ server, port: config.port, host: config.host });

  const sessions = config.redisUrl || config.redisSentinels || config.redisClusterNodes ? 'redis' : 'memory';
  let sending = false;
  const report = async (): Promise<void> => {
    if (sending || !process.connected) return;
    sending = true;
    try {
      const stats = await readStats({
        instance: config.instanceId,
        lifecycle,
        // The demo app's own `new Registry()`; @lbkit/metrics types it only by the parts it uses.
        registry: demo.metrics.registry as Registry,
        health: demo.health,
        sessions,
      });
      if (process.connected) process.send?.(stats);
    } catch {
      // The primary went away or the app is closing: the next tick tries again, or the process exits.
    } finally {
      sending = false;
    }
  };
  const timer = setInterval(() => void report(), STATS_INTERVAL_MS);
  timer.unref();
  // One last report once stopped, so the page shows the end of the drain.
  lifecycle.on('transition', () => void report());
  lifecycle.once('stopped', () => clearInterval(timer));
  if (!server.listening) await once(server, 'listening');
  lifecycle.markReady();
  console.log(
    worker.mode === 'primary'
      ? `[${config.instanceId}] serving the connections the primary hands out`
      : `[${config.instanceId}] listening on http://${config.host}:${config.port}`,
  );
}
