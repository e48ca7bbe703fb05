// Runs a demo server: ready once listening, the contract's line, and gracefulShutdown's options from the environment.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lifecycle } from '@lbkit/core';
import type { WebSocketServer } from 'ws';
import type { DemoConfig } from './config.js';

/**
 * Options for `gracefulShutdown()` / `shutdownPlugin` as CONTRACT.md's exit rules say: DRAIN_DELAY_MS,
 * DRAIN_TIMEOUT_MS, SIGTERM/SIGINT drain and exit, a second signal exits 1 at once. `close` releases
 * what the app holds once the connections have drained (Fastify's own close needs none); the clients
 * of `webSockets` (GET /ws) get 1001 "going away" when the listener closes.
 */
export function shutdownOptions(options: {
  config: DemoConfig;
  lifecycle: Lifecycle;
  close?: () => Promise<void>;
  webSockets?: WebSocketServer;
}) {
  const { config, lifecycle, close, webSockets } = options;
  const line = (message: string, details: Record<string, unknown>): void =>
    console.log(`[${config.instanceId}] ${message} ${JSON.stringify(details)}`);
  return {
    lifecycle,
    drainDelayMs: config.drainDelayMs,
    drainTimeoutMs: config.drainTimeoutMs,
    hooks: close ? [{ name: 'app', run: close }] : [],
    webSockets: webSockets ? [webSockets] : [],
    logger: { info: line, warn: line, error: line },
    // LBKIT_BEHIND's grace and notice: gracefulShutdown() warns at startup when the numbers do not fit.
    ...(config.behind ? { budget: config.behind.shutdown.budget } : {}),
  };
}

/** Marks the instance ready once `server` listens and prints the contract's line; the drain is gracefulShutdown's. */
export async function serveUntilSignal(options: {
  server: Server;
  lifecycle: Lifecycle;
  config: DemoConfig;
}): Promise<void> {
  const { server, lifecycle, config } = options;
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  lifecycle.markReady();
  console.log(`[${config.instanceId}] listening on http://${config.host}:${port}`);
}
