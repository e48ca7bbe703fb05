// Runs a demo server until SIGTERM/SIGINT, then drains it as CONTRACT.md's exit rules say.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lifecycle } from '@lbkit/core';
import type { DemoConfig } from './config.js';

/** Marks the instance ready once `server` listens, prints the contract's line, and drains on a signal. */
export async function serveUntilSignal(options: {
  server: Server;
  lifecycle: Lifecycle;
  config: DemoConfig;
  close: () => Promise<void>;
}): Promise<void> {
  const { server, lifecycle, config, close } = options;
  lifecycle.inFlight.attach(server);
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  lifecycle.markReady();
  console.log(`[${config.instanceId}] listening on http://${config.host}:${port}`);

  let signalled = false;
  const onSignal = async (signal: NodeJS.Signals): Promise<void> => {
    if (signalled) process.exit(1);
    signalled = true;
    lifecycle.beginDrain(signal);
    await new Promise((r) => setTimeout(r, config.drainDelayMs));
    server.close();
    server.closeIdleConnections();
    const forced = await Promise.race([
      lifecycle.inFlight.idle().then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), config.drainTimeoutMs).unref()),
    ]);
    server.closeAllConnections();
    await close();
    lifecycle.markStopped(signal);
    process.exit(forced ? 1 : 0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
