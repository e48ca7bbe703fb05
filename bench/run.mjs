// `pnpm bench`: runs every benchmark (bench/<name>/run.mjs), or only those named on the command line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const dir = new URL('./', import.meta.url);
const wanted = process.argv.slice(2);
const names = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/run.mjs`, dir)))
  .map((d) => d.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
let failed = 0;
for (const name of names) {
  console.log(`\n=== bench/${name} ===`);
  const run = spawnSync(process.execPath, [new URL(`${name}/run.mjs`, dir).pathname], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
