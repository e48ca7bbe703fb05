// The session store as it was before issue #18, for side-by-side runs: its sources at BASELINE_COMMIT, read from git
// and transpiled once into bench/.out/session-baseline (ignored by git), where '@lbkit/core' resolves as in bench/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

/** The last commit before the issue #18 work on packages/session-redis. */
export const BASELINE_COMMIT = '2764cae';
const SOURCE = 'packages/session-redis/src';
const root = new URL('../../', import.meta.url);
const out = new URL(`../.out/session-baseline-${BASELINE_COMMIT}/`, import.meta.url);

/** Builds the baseline if needed; answers the URL of its directory (index.js, scripts.js, …). */
export function baselineDir() {
  if (existsSync(new URL('index.js', out))) return out;
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const files = git('ls-tree', '--name-only', `${BASELINE_COMMIT}:${SOURCE}`)
    .split('\n')
    .filter((name) => name.endsWith('.ts'));
  mkdirSync(out, { recursive: true });
  for (const name of files) {
    const { outputText } = ts.transpileModule(git('show', `${BASELINE_COMMIT}:${SOURCE}/${name}`), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(new URL(name.replace(/\.ts$/, '.js'), out), outputText);
  }
  return out;
}

/** The baseline package's exports, and its scripts module. */
export async function loadBaseline() {
  const dir = baselineDir();
  const [store, scripts] = await Promise.all([
    import(new URL('index.js', dir)),
    import(new URL('scripts.js', dir)),
  ]);
  return { RedisSessionStore: store.RedisSessionStore, scripts };
}
