// The lbkit-doctor command, built and run as a process: --json's shape, human lines, the `doctor` word and exit codes.
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Misconfiguration, startApp, type TestApp } from './app.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = `${root}packages/doctor/dist/cli.js`;

beforeAll(() => {
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b', 'packages/doctor'], {
    cwd: root,
    stdio: 'pipe',
  });
}, 120_000);

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const quick = ['--max-wait', '0.3', '--idle-timeout', '0.2'];

async function against(wrong?: Misconfiguration): Promise<string> {
  app = await startApp(wrong);
  return app.url;
}

describe('lbkit-doctor', () => {
  it('prints { findings: [{ id, status, message, fix? }] } with --json and exits 0 when nothing fails', async () => {
    const { code, stdout } = await run([await against(), ...quick, '--json']);
    expect(code).toBe(0);
    const { findings } = JSON.parse(stdout) as { findings: Record<string, unknown>[] };
    expect(findings.length).toBeGreaterThan(5);
    for (const finding of findings) {
      expect(Object.keys(finding).every((key) => ['id', 'status', 'message', 'fix'].includes(key))).toBe(
        true,
      );
      expect(['pass', 'warn', 'fail', 'skip']).toContain(finding.status);
      expect(typeof finding.message).toBe('string');
    }
  });

  it('prints one FAIL line per failure with its fix and exits 1', async () => {
    const { code, stdout } = await run([await against('no-head'), ...quick]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^FAIL probe\.live\.head: HEAD \/health\/live → 405, GET → 200\n {5}fix: Answer HEAD/m,
    );
    expect(stdout).toMatch(/^\d+ failed, \d+ warnings, \d+ passed, \d+ skipped$/m);
  });

  it('prints a skipped check with the reason and how to run it', async () => {
    const { code, stdout } = await run([await against(), ...quick]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^SKIP drain: drain not checked \(it needs --pid of a local server process\)\n {5}note: Pass --pid/m,
    );
  });

  it('runs as `lbkit doctor <url>` too', async () => {
    const { code, stdout } = await run(['doctor', await against(), ...quick, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toHaveProperty('findings');
  });

  it('exits 2 on usage errors: no URL, an unknown flag, a bad value, an unknown balancer, not http://', async () => {
    const url = await against();
    for (const args of [
      [],
      [url, '--idle'],
      [url, '--max-wait', 'soon'],
      [url, '--behind', 'somewhere'],
      ['ftp://127.0.0.1/'],
    ]) {
      const { code, stderr } = await run(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(/^lbkit-doctor: /);
    }
  });
});
