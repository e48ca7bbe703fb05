// Starts a fixture of test/fixtures in a child process from the built packages, and reads its JSON lines.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A running fixture and the JSON lines it (and its workers, which share its stdout) printed. */
export interface Pool {
  readonly child: ChildProcess;
  readonly events: Array<{ event: string } & Record<string, unknown>>;
  /** The first event matching `test`, already printed or to come. */
  waitFor(
    test: (event: { event: string } & Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  kill(): void;
}

/** Builds @lbkit/metrics and @lbkit/shutdown (tsc -b skips what is up to date). */
export function buildPackages(): void {
  execFileSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, '-b', 'packages/metrics', 'packages/shutdown'],
    {
      cwd: root,
      stdio: 'pipe',
    },
  );
}

/** Starts `fixtures/<script>` with `config` as FIXTURE. */
export function startPool(script: string, config: Record<string, unknown>): Pool {
  const child = spawn(process.execPath, [`${fixtures}${script}`], {
    env: { ...process.env, FIXTURE: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const events: Pool['events'] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      events.push({ event: 'text', line });
    }
  });
  return {
    child,
    events,
    async waitFor(test, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(test);
        if (found) return found;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`${script}: no matching event; events ${JSON.stringify(events)}; stderr ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    kill() {
      // The primary and its workers: the whole process group.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {}
    },
  };
}
