import { connect, createServer } from 'node:net';
import { type AgentCheck, createAgentCheck } from '@lbkit/balancer-feedback';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { LoadShedder } from '@lbkit/shedding';
import { afterEach, describe, expect, it } from 'vitest';

/** Connects like HAProxy does, optionally sends `agent-send`, and returns everything read until close. */
function ask(port: number, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    if (send !== undefined) socket.write(send);
  });
}

const open: AgentCheck[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

async function started(options: Parameters<typeof createAgentCheck>[0]): Promise<[AgentCheck, number]> {
  const agent = createAgentCheck(options);
  open.push(agent);
  const { port } = await agent.listen();
  return [agent, port];
}

describe('createAgentCheck', () => {
  it('answers one line per connection and follows the lifecycle from starting to stopped', async () => {
    const lifecycle = new Lifecycle();
    const [, port] = await started({ lifecycle, port: 0, concurrencyLimit: 10 });
    expect(await ask(port)).toBe('down #starting\n');
    lifecycle.markReady();
    expect(await ask(port)).toBe('up ready 100%\n');
    lifecycle.beginDrain('SIGTERM');
    expect(await ask(port)).toBe('drain\n');
    lifecycle.markStopped();
    expect(await ask(port)).toBe('maint #stopped\n');
  });

  it('lowers the weight as requests in flight approach the limit of a real shedder', async () => {
    const lifecycle = new Lifecycle();
    const shedder = new LoadShedder({ lifecycle, concurrencyLimit: 4, queue: false });
    try {
      lifecycle.markReady();
      const [, port] = await started({ lifecycle, port: 0, shedder });
      expect(await ask(port)).toBe('up ready 100%\n');
      // Three admitted requests hold three of four slots until their responses close.
      const { IncomingMessage, ServerResponse } = await import('node:http');
      const { Socket } = await import('node:net');
      const responses = Array.from({ length: 3 }, () => {
        const req = new IncomingMessage(new Socket());
        req.url = '/work';
        req.method = 'GET';
        const res = new ServerResponse(req);
        shedder.admit(req, res, () => {});
        return res;
      });
      await new Promise((r) => setImmediate(r));
      expect(await ask(port)).toBe('up ready 25%\n');
      for (const res of responses) res.emit('close');
      await new Promise((r) => setImmediate(r));
      expect(await ask(port)).toBe('up ready 100%\n');
    } finally {
      shedder.close();
    }
  });

  it('reports the minimum weight, not zero, once load reaches the limit', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const [agent, port] = await started({
      lifecycle,
      port: 0,
      shedder: { limit: 5, inFlight: 5, queued: 20 },
      minWeightPercent: 3,
    });
    expect(await ask(port)).toBe('up ready 3%\n');
    expect(agent.read().utilization).toBe(5);
  });

  it('reads and discards what HAProxy sends with agent-send, then answers', async () => {
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const [, port] = await started({ lifecycle, port: 0 });
    expect(await ask(port, 'hello from haproxy\n'.repeat(1000))).toBe('up ready 100%\n');
  });

  it('destroys a connection the peer keeps half-open past socketTimeoutMs', async () => {
    const lifecycle = new Lifecycle();
    const [, port] = await started({ lifecycle, port: 0, socketTimeoutMs: 50 });
    // The client never closes its side; once the agent has destroyed the socket, a late write is reset.
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      socket.resume();
      // The first late write draws a reset from the peer's kernel; the next one fails with it.
      socket.on('end', () => {
        setTimeout(() => socket.write('late\n'), 200);
        setTimeout(() => socket.write('later\n'), 300);
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.on('close', () => resolve('closed'));
    });
    expect(['ECONNRESET', 'EPIPE', 'closed']).toContain(outcome);
  });

  it('fails to listen with LBKIT_FEEDBACK_LISTEN_FAILED when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const agent = createAgentCheck({ lifecycle: new Lifecycle(), port });
    open.push(agent);
    const error = await agent.listen().catch((e: unknown) => e);
    expect(isLbkitError(error, 'LBKIT_FEEDBACK_LISTEN_FAILED')).toBe(true);
    blocker.close();
  });

  it('refuses invalid options at creation with stable codes', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return isLbkitError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(code(() => createAgentCheck({ port: 70_000 }))).toBe('LBKIT_FEEDBACK_PORT_INVALID');
    expect(code(() => createAgentCheck({ port: -1 }))).toBe('LBKIT_FEEDBACK_PORT_INVALID');
    expect(code(() => createAgentCheck({ port: 0, minWeightPercent: 0 }))).toBe(
      'LBKIT_FEEDBACK_WEIGHT_INVALID',
    );
    expect(code(() => createAgentCheck({ port: 0, socketTimeoutMs: 0 }))).toBe(
      'LBKIT_FEEDBACK_OPTION_INVALID',
    );
  });

  it('stops answering after close, and close is idempotent', async () => {
    const [agent, port] = await started({ lifecycle: new Lifecycle(), port: 0 });
    await agent.close();
    await agent.close();
    expect(agent.address).toBeUndefined();
    await expect(ask(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
