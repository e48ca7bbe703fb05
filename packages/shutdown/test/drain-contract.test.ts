// The drain contract (issue #14), one suite run against node:http, Express 5 and Fastify 5 servers in child processes with real SIGTERM.
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildProjects, type Fixture, phasesOf, portOf, startFixture } from './child.js';
import { countResponses, openSocket, type ResponseCount } from './http-responses.js';

type Framework = 'http' | 'express' | 'fastify';

let running: Fixture[] = [];
let sockets: Socket[] = [];

beforeAll(() => buildProjects(['packages/shutdown', 'packages/fastify']), 120_000);
afterEach(() => {
  for (const fixture of running) fixture.kill('SIGKILL');
  for (const socket of sockets) socket.destroy();
  running = [];
  sockets = [];
});

async function connectTo(port: number): Promise<Socket> {
  const socket = await openSocket(port);
  sockets.push(socket);
  return socket;
}

const PIPELINED = 3000;
// 64 bytes: the server reads 64 KiB at a time, so each read ends between two requests and the
// parser pauses (on backpressure) with no request half-parsed, which is when Node's
// closeIdleConnections() takes the socket for idle although hundreds of responses are queued on it.
const REQUEST = 'GET /metrics HTTP/1.1\r\nHost: fixture\r\nX-Pad: 123456789012345\r\n\r\n';
const pipelined = REQUEST.repeat(PIPELINED);

/**
 * What a drain may end in: every response sent and exit 0, or a force at the deadline that says what
 * it cut and exit 1. Never "drained" with an answer missing.
 */
async function expectTruthfulEnd(
  fixture: Fixture,
  received: ResponseCount,
  sent: number,
): Promise<number | null> {
  const { code } = await fixture.exited;
  await received.closed;
  const phases = phasesOf(fixture);
  if (code === 0) {
    expect(phases).toContain('drained');
    expect(phases).not.toContain('forced');
    expect(received.responses).toBe(sent);
  } else {
    expect(code).toBe(1);
    expect(phases).not.toContain('drained');
    const forced = fixture.events.find((e) => e.event === 'phase' && e.phase === 'forced')?.forced as
      | { requests: number; connections: number }
      | undefined;
    expect(forced?.requests ?? 0).toBeGreaterThan(0);
  }
  return code;
}

function contract(framework: Framework): void {
  function start(config: Record<string, unknown>): Fixture {
    const fixture = startFixture('contract-server.mjs', { framework, ...config });
    running.push(fixture);
    return fixture;
  }

  describe(`the drain contract on ${framework}`, () => {
    it('pipelines requests of 64 bytes', () => {
      expect(REQUEST.length).toBe(64);
    });

    it('answers all 3,000 pipelined requests of a client that stopped reading and reads again before the deadline, exit 0', async () => {
      const fixture = start({ drainDelayMs: 300, drainTimeoutMs: 8000 });
      const socket = await connectTo(await portOf(fixture));
      socket.pause();
      const received = countResponses(socket);
      socket.write(pipelined);
      // Long enough for the server to fill the socket's buffers and stop parsing.
      await sleep(1000);
      fixture.kill('SIGTERM');
      await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'listeners-closed');
      await sleep(300);
      socket.resume();
      expect(await expectTruthfulEnd(fixture, received, PIPELINED)).toBe(0);
      // Fastify answers what it parses once fastify.close() has begun with 503 (return503OnClosing).
      const allowed = framework === 'fastify' ? [200, 503] : [200];
      expect(received.statuses.filter((status) => !allowed.includes(status))).toEqual([]);
    }, 30_000);

    it('forces the drain of a client that never reads at drainTimeoutMs and counts the cut requests, exit 1', async () => {
      const fixture = start({ drainDelayMs: 300, drainTimeoutMs: 1500 });
      const socket = await connectTo(await portOf(fixture));
      socket.pause();
      const received = countResponses(socket);
      socket.write(pipelined);
      await sleep(1000);
      fixture.kill('SIGTERM');
      await fixture.exited;
      // Whatever reached the client's buffers before the force is counted, then the socket ends.
      socket.resume();
      expect(await expectTruthfulEnd(fixture, received, PIPELINED)).toBe(1);
      expect(received.responses).toBeLessThan(PIPELINED);
    }, 30_000);

    it('lets a slow upload in progress at SIGTERM finish and answers it, exit 0', async () => {
      const fixture = start({ drainDelayMs: 0, drainTimeoutMs: 5000 });
      const socket = await connectTo(await portOf(fixture));
      const received = countResponses(socket);
      const chunk = Buffer.alloc(16 * 1024, 7);
      const chunks = 12;
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: fixture\r\nContent-Type: application/octet-stream\r\nContent-Length: ${chunk.length * chunks}\r\n\r\n`,
      );
      socket.write(chunk);
      await fixture.waitFor((e) => e.event === 'upload-start');
      fixture.kill('SIGTERM');
      await fixture.waitFor((e) => e.event === 'phase' && e.phase === 'listeners-closed');
      for (let i = 1; i < chunks; i++) {
        await sleep(80);
        socket.write(chunk);
      }
      expect(await expectTruthfulEnd(fixture, received, 1)).toBe(0);
      expect(received.statuses).toEqual([200]);
    }, 30_000);

    it('closes 200 idle keep-alive sockets when the listener closes and drains them with exit 0', async () => {
      const fixture = start({ drainDelayMs: 0, drainTimeoutMs: 4000 });
      const port = await portOf(fixture);
      const idle = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const socket = await connectTo(port);
          const received = countResponses(socket);
          socket.write('GET /small HTTP/1.1\r\nHost: fixture\r\n\r\n');
          while (received.responses === 0) await sleep(5);
          return received;
        }),
      );
      fixture.kill('SIGTERM');
      // Every socket is closed by the server (the keep-alive timeout is 60 s), before the deadline.
      await Promise.all(idle.map((received) => received.closed));
      expect(await fixture.exited).toEqual({ code: 0, signal: null });
      expect(phasesOf(fixture)).toContain('drained');
      expect(phasesOf(fixture)).not.toContain('forced');
    }, 30_000);
  });
}

contract('http');
contract('express');
contract('fastify');
