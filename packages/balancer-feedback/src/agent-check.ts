// createAgentCheck(): a small TCP listener answering HAProxy's agent-check with state and weight.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { LbkitError } from '@lbkit/core';
import { brand, OptionReader } from '@lbkit/core/internal';
import { agentReply } from './agent-reply.js';
import { LOAD_OPTIONS, readLoad } from './load-gauge.js';
import { readSlowStart, SLOW_START_OPTIONS } from './slow-start.js';
import type { AgentCheck, AgentCheckOptions } from './types.js';

const AGENT_CHECK = brand<AgentCheck>('agentCheck');

const OPTIONS = [
  ...LOAD_OPTIONS,
  ...SLOW_START_OPTIONS,
  'port',
  'host',
  'minWeightPercent',
  'socketTimeoutMs',
  'maxConnections',
] as const satisfies ReadonlyArray<keyof AgentCheckOptions>;

/**
 * True when `value` was made by {@link createAgentCheck}, by this copy of @lbkit/balancer-feedback or
 * another one.
 */
export function isAgentCheck(value: unknown): value is AgentCheck {
  return AGENT_CHECK.is(value);
}

/**
 * Creates the responder; options are validated here (`LBKIT_FEEDBACK_…` codes, unknown ones refused
 * with the closest known name). Every connection gets one line, computed when it arrives, and is
 * closed: HAProxy opens one per `agent-inter`. Whatever HAProxy sends (`agent-send`) is read and
 * discarded.
 */
export function createAgentCheck(options: AgentCheckOptions): AgentCheck {
  const reader = new OptionReader<AgentCheckOptions>('FEEDBACK', 'createAgentCheck()', options, OPTIONS);
  const read = readLoad(reader);
  const port = reader.number('port', undefined, {
    min: 0,
    max: 65_535,
    integer: true,
    code: 'LBKIT_FEEDBACK_PORT_INVALID',
    hint: 'Use the agent-port of the HAProxy server line, or 0 for any free port.',
  });
  if (port === undefined) {
    throw reader.invalid(
      'port is required',
      'Pass port: the agent-port of the HAProxy server line (0 picks a free one).',
      'LBKIT_FEEDBACK_PORT_INVALID',
    );
  }
  const host = reader.string('host', '127.0.0.1');
  const minWeight = reader.number('minWeightPercent', 1, {
    min: 1,
    max: 100,
    integer: true,
    code: 'LBKIT_FEEDBACK_WEIGHT_INVALID',
    hint: '0% would mean drain, which a draining instance reports itself: pick at least 1.',
  });
  const socketTimeoutMs = reader.number('socketTimeoutMs', 2000, { min: 1, max: 60_000, integer: true });
  const maxConnections = reader.number('maxConnections', 64, { min: 1, max: 10_000, integer: true });

  const weightFactor = readSlowStart(reader);

  const sockets = new Set<Socket>();
  const reply = (): string => agentReply(read(), minWeight, weightFactor?.());
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

  return AGENT_CHECK.mark({
    get address() {
      return address;
    },
    reply,
    read,
    async listen() {
      if (address) return address;
      if (closed)
        throw new LbkitError('LBKIT_FEEDBACK_AGENT_CHECK_CLOSED', 'the agent-check responder is closed');
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
  });
}
