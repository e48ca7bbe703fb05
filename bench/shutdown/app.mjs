// One instance of the Express demo app (load shedding off) with the shutdown chosen by SHUTDOWN: lbkit, terminus, http-terminator or naive.
// The demo's readiness answers 503 once the lifecycle drains, so every variant begins with lifecycle.beginDrain().
import { Lifecycle } from '@lbkit/core';
import { gracefulShutdown } from '@lbkit/shutdown';
import { createApp } from '@lbkit-examples/express';
import { readConfig, serveUntilSignal, shutdownOptions } from '@lbkit-examples/shared';

const config = readConfig();
const lifecycle = new Lifecycle();
// Shedding is not what is measured, and its adaptive limit sheds the mixed 0-500 ms load of the rolling restart.
const { app, close } = await createApp({ config, lifecycle, shedding: false });
const server = app.listen(config.port, config.host);
const variant = process.env.SHUTDOWN ?? 'lbkit';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (variant === 'lbkit') {
  gracefulShutdown(server, shutdownOptions({ config, lifecycle, close }));
} else if (variant === 'terminus') {
  const { createTerminus } = await import('@godaddy/terminus');
  createTerminus(server, {
    signals: ['SIGTERM', 'SIGINT'],
    timeout: config.drainTimeoutMs,
    // terminus's documented way to wait for the balancer: beforeShutdown runs before the server closes.
    beforeShutdown: async () => {
      lifecycle.beginDrain('SIGTERM');
      await sleep(config.drainDelayMs);
    },
    onSignal: () => close(),
  });
} else if (variant === 'http-terminator') {
  const { createHttpTerminator } = await import('http-terminator');
  const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: config.drainTimeoutMs });
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    lifecycle.beginDrain('SIGTERM');
    await sleep(config.drainDelayMs);
    await terminator.terminate();
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
await serveUntilSignal({ server, lifecycle, config });
