// A demo app (examples/express or examples/fastify, built) started as its own process, as CONTRACT.md describes.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The two frameworks of the demo application. */
export type DemoFramework = 'express' | 'fastify';

/** Builds both demo apps and the packages they use (`tsc -b`), so their dist/main.js is current. */
export function buildDemos(): void {
  execFileSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, '-b', 'examples/express', 'examples/fastify'],
    { cwd: root, stdio: 'pipe' },
  );
}

/** One running demo instance. */
export interface DemoProcess {
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Everything it printed so far (stdout and stderr), for assertions and failure messages. */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after 10 s if still running; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node examples/<framework>/dist/main.js` on a free loopback port with `env` added, and
 * resolves once it prints the contract's `listening on` line (rejects if it exits first).
 */
export async function startDemoProcess(
  framework: DemoFramework,
  env: Record<string, string> = {},
): Promise<DemoProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [`${root}examples/${framework}/dist/main.js`], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${framework} did not listen in 15 s:\n${output}`)),
      15_000,
    );
    const look = (): void => {
      if (!output.includes('listening on http://')) return;
      clearTimeout(timer);
      child.stdout.off('data', look);
      resolve();
    };
    child.stdout.on('data', look);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${framework} exited with ${code} before listening:\n${output}`));
    });
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (running()) child.kill(signal);
    },
    stop: async () => {
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
