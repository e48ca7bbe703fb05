// Where the demo's sessions live: REDIS_URL, else a private redis-server started for the demo, else memory.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The session backend of this demo run. */
export interface SessionBackend {
  /** REDIS_URL for the workers, or undefined for in-memory sessions. */
  readonly url: string | undefined;
  /** One line saying what was chosen and why. */
  readonly description: string;
  /** Stops a redis-server the demo started. */
  stop(): void;
}

/** Finds `command` on the PATH (and the sbin folders). */
export function findBinary(command: string): string | undefined {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin:/sbin`;
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { env: { ...process.env, PATH: path } });
  const out = found.stdout?.toString().trim();
  return found.status === 0 && out ? out : undefined;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on 127.0.0.1:`port`, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** REDIS_URL when set; otherwise a private redis-server on a free port when one is installed; otherwise memory. */
export async function sessionBackend(env: NodeJS.ProcessEnv): Promise<SessionBackend> {
  if (env.REDIS_URL) {
    return {
      url: env.REDIS_URL,
      description: `sessions in Redis at ${env.REDIS_URL} (REDIS_URL)`,
      stop: () => {},
    };
  }
  const binary = findBinary('redis-server');
  if (!binary) {
    return {
      url: undefined,
      description: 'sessions in memory, per instance: set REDIS_URL or install redis-server to share them',
      stop: () => {},
    };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-demo-redis-'));
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port);
  } catch (error) {
    stop();
    throw error;
  }
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    description: `sessions in Redis at ${url} (a private redis-server started for the demo)`,
    stop,
  };
}
