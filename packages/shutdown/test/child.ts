// Runs a fixture script in a child process from the built package: its JSON lines, exit code and signals.
import { type ChildProcess, execFileSync, type ForkOptions, fork, spawn } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Builds @lbkit/shutdown (and @lbkit/core) with `tsc -b`; see {@link buildProjects}. */
export function ensureBuilt(): Promise<void> {
  return buildProjects(['packages/shutdown']);
}

/**
 * Builds `projects` (and what they reference) with `tsc -b`, which skips up-to-date projects. Test
 * files run in parallel, so a lock directory keeps two builds from writing dist/ at once.
 */
export async function buildProjects(projects: readonly string[]): Promise<void> {
  const lock = `${root}packages/shutdown/.build-lock`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {}
      if (Date.now() > deadline) throw new Error('timed out waiting for another build of @lbkit/shutdown');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b', ...projects], {
      cwd: root,
      stdio: 'pipe',
    });
  } finally {
    rmdirSync(lock);
  }
}

/** One JSON line printed by a fixture. */
export type FixtureEvent = { event: string } & Record<string, unknown>;

/** A running fixture. */
export interface Fixture {
  readonly child: ChildProcess;
  readonly events: FixtureEvent[];
  /** Everything written to stderr so far. */
  readonly stderr: () => string;
  /** Resolves with the first event matching `test` (already seen or future). */
  waitFor(test: (event: FixtureEvent) => boolean, timeoutMs?: number): Promise<FixtureEvent>;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `fixtures/<script>` with `config` as FIXTURE; `ipc` forks it with an IPC channel. */
export function startFixture(
  script: string,
  config: Record<string, unknown> = {},
  options: { env?: Record<string, string>; ipc?: boolean } = {},
): Fixture {
  const env = { ...process.env, FIXTURE: JSON.stringify(config), ...options.env };
  const child = options.ipc
    ? fork(`${fixtures}${script}`, [], {
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      } satisfies ForkOptions)
    : spawn(process.execPath, [`${fixtures}${script}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: FixtureEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    try {
      events.push(JSON.parse(line) as FixtureEvent);
    } catch {
      events.push({ event: 'text', line });
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      // Let the last lines of stdout arrive before callers look at the events.
      lines.once('close', () => resolve({ code, signal }));
      setTimeout(() => resolve({ code, signal }), 500).unref();
    });
  });
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGTERM') => child.kill(signal),
    waitFor(test, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = events.find(test);
          if (!found) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const wake = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(
              `fixture ${script}: no matching event within ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        if (check()) return;
        waiters.add(wake);
        void exited.then(() => setTimeout(wake, 50));
      });
    },
  };
}

/** Waits for the fixture's `listening` event and returns its port. */
export async function portOf(fixture: Fixture): Promise<number> {
  const event = await fixture.waitFor((e) => e.event === 'listening');
  return event.port as number;
}

/** Phase names in the order the fixture reported them. */
export function phasesOf(fixture: Fixture): string[] {
  return fixture.events.filter((e) => e.event === 'phase').map((e) => e.phase as string);
}
