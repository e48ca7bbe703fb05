// createAgentCheck(): a small TCP listener answering HAProxy's agent-check with state and weight.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { LbkitError } from '@lbkit/core';
import { agentReply } from './agent-reply.js';
import { createLoadGauge } from './load-gauge.js';
import type { AgentCheck, AgentCheckOptions } from './types.js';

/**
 * Creates the responder; options are validated here (`LBKIT_FEEDBACK_…` codes). Every connection
 * gets one line, computed when it arrives, and is closed: HAProxy opens one per `agent-inter`.
 * Whatever HAProxy sends (`agent-send`) is read and discarded.
 */
export function createAgentCheck(options: AgentCheckOptions): AgentCheck {
  const read = createLoadGauge(options);
  const port = integerIn(options.port, 0, 65_535, 'port', 'LBKIT_FEEDBACK_PORT_INVALID');
  const host = options.host ?? '127.0.0.1';
  const minWeight = integerIn(
    options.minWeightPercent ?? 1,
    1,
    100,
    'minWeightPercent',
    'LBKIT_FEEDBACK_WEIGHT_INVALID',
  );
  const socketTimeoutMs = integerIn(
    options.socketTimeoutMs ?? 2000,
    1,
    60_000,
    'socketTimeoutMs',
    'LBKIT_FEEDBACK_OPTION_INVALID',
  );
  const maxConnections = integerIn(
    options.maxConnections ?? 64,
    1,
    10_000,
    'maxConnections',
    'LBKIT_FEEDBACK_OPTION_INVALID',
  );

  const sockets = new Set<Socket>();
  const reply = (): string => agentReply(read(), minWeight);
  const server = createServer({ allowHalfOpen: false }, function answerAgent(socket) {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A peer that resets or never reads must not crash the process or hold the socket.
    socket.on('error', () => socket.destroy());
    socket.setTimeout(socketTimeoutMs, () => socket.destroy());
    socket.resume();
    socket.end(`${reply()}\n`);
  });
  server.maxConnections = maxConnections;
  let address: AddressInfo | undefined;
  let closed = false;

  return {
    get address() {
      return address;
    },
    reply,
    read,
    async listen() {
      if (address) return address;
      if (closed) throw new LbkitError('LBKIT_FEEDBACK_AGENT_CHECK_CLOSED', 'the agent-check responder is closed');
      server.listen(port, host);
      try {
        await Promise.race([
          once(server, 'listening'),
          once(server, 'error').then(([error]) => {
            throw error;
          }),
        ]);
      } catch (error) {
        throw new LbkitError('LBKIT_FEEDBACK_LISTEN_FAILED', `agent-check cannot listen on ${host}:${port}`, {
          hint: 'Pick a free port for agent-port (and the same in the HAProxy server line), or 0 for any.',
          cause: error,
        });
      }
      // Auxiliary: the HTTP server decides how long the process lives, not the agent.
      server.unref();
      address = server.address() as AddressInfo;
      return address;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      address = undefined;
    },
  };
}

function integerIn(value: unknown, min: number, max: number, name: string, code: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new LbkitError(code, `${name} must be a whole number from ${min} to ${max}, got ${String(value)}`, {
    hint: name === 'port' ? 'Use the agent-port of the HAProxy server line.' : undefined,
  });
}
