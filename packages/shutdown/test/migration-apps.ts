// Runs a migration example (TypeScript, against the built packages) or its anchor app in a child process, and talks raw HTTP/1.1 to it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = new URL('../../../', import.meta.url);

/** `test/migration/<name>`, the examples the README shows and the anchor apps they are compared with. */
export function migrationFile(name: string): URL {
  return new URL(`test/migration/${name}`, root);
}

/**
 * Node 20 cannot run TypeScript: the example is transpiled as it stands into a temporary .mjs whose
 * `@lbkit/*` imports point at the built packages (`ensureBuilt()` / `buildProjects()` first).
 */
function runnable(file: URL): { script: string; remove: () => void } {
  if (file.pathname.endsWith('.mjs')) return { script: fileURLToPath(file), remove: () => {} };
  const source = readFileSync(file, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const js = outputText.replace(
    /from '@lbkit\/([a-z-]+)'/g,
    (_, pkg: string) => `from '${new URL(`packages/${pkg}/dist/index.js`, root).href}'`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-migration-'));
  writeFileSync(join(dir, 'app.mjs'), js);
  return { script: join(dir, 'app.mjs'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A running app: the lines it printed, its port and how it exited. */
export interface RunningApp {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly port: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the app has printed `line` (already or later). */
  printed(line: string, timeoutMs?: number): Promise<void>;
}

/** Starts `file` with `env`; resolves once it printed `listening <port>`. */
export async function startApp(file: URL, env: Record<string, string> = {}): Promise<RunningApp> {
  const { script, remove } = runnable(file);
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const reader = createInterface({ input: child.stdout! });
  reader.on('line', (line) => {
    lines.push(line);
    for (const wake of waiters) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after 'exit' and after stdout has ended, so every line has been read.
    child.once('close', (code, signal) => {
      remove();
      resolve({ code, signal });
    });
  });
  const printed = (line: string, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!lines.includes(line)) return;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(
          new Error(
            `${file.pathname}: no line "${line}" within ${timeoutMs} ms; lines: ${lines.join(' | ')}`,
          ),
        );
      }, timeoutMs);
      waiters.add(wake);
      wake();
    });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file.pathname} exited with ${code} before listening`)));
    const find = (): void => {
      const line = lines.find((l) => l.startsWith('listening '));
      if (line) resolve(Number(line.slice('listening '.length)));
    };
    waiters.add(find);
  });
  return { child, lines, port, exited, printed };
}

/** One response read from a raw connection. */
export interface RawResponse {
  readonly status: number;
  /** The Connection header, lower-cased (`keep-alive` when absent: HTTP/1.1's default). */
  readonly connection: string;
}

/** A raw keep-alive HTTP/1.1 connection: what it received and how it ended. */
export interface RawConnection {
  readonly responses: RawResponse[];
  /** Resolves once the server closed (or reset) the connection, or the connection failed to open. */
  readonly closed: Promise<void>;
  /** Whether the connection ever opened (a refused connection did not). */
  readonly opened: Promise<boolean>;
  /** Sends a keep-alive GET of `path`. */
  get(path: string): void;
  /** Resolves once `count` responses have arrived. */
  received(count: number): Promise<void>;
  destroy(): void;
}

/** Opens a raw connection to 127.0.0.1:`port`, over TLS when `tls` (any certificate accepted). */
export function rawConnection(port: number, tls: boolean): RawConnection {
  const socket: Socket = tls
    ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
    : netConnect({ port, host: '127.0.0.1' });
  const responses: RawResponse[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) break;
      const head = pending.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (pending.length < end + 4 + length) break;
      responses.push({
        status: Number(head.slice(9, 12)),
        connection: (/\r\nconnection: *([^\r]+)/i.exec(head)?.[1] ?? 'keep-alive').toLowerCase(),
      });
      pending = pending.slice(end + 4 + length);
    }
    for (const wake of waiters) wake();
  });
  // A reset or a refusal is one of the outcomes compared, not a failure of the test.
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const opened = new Promise<boolean>((resolve) => {
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve(true));
    socket.once('close', () => resolve(false));
  });
  return {
    responses,
    closed,
    opened,
    get: (path) => socket.write(`GET ${path} HTTP/1.1\r\nHost: app\r\n\r\n`),
    received: (count) =>
      new Promise((resolve, reject) => {
        const wake = (): void => {
          if (responses.length < count) return;
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        socket.once('close', () => {
          if (responses.length < count) reject(new Error(`closed after ${responses.length} responses`));
        });
        wake();
      }),
    destroy: () => socket.destroy(),
  };
}
