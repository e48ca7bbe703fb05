// Packs every public package into a folder, as `pnpm publish` would, and lists what a tarball holds
// that a user does not need (anything but dist output, src for the source maps, README, LICENSE).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const PNPM = ['-y', 'pnpm@10.34.8'];
// client-ip ships its provider range snapshots and the script that refreshes them (its error hints name it).
const NEEDED =
  /^package\/(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)|src\/.+\.ts|data\/[\w-]+\.json|scripts\/[\w-]+\.mjs)$/;

/**
 * Runs `pnpm pack` for packages/* into `dest` and returns `{ tarballs, problems }`: tarballs by
 * package name, problems as one string per unexpected file (a .tsbuildinfo, a test, …).
 */
export function packPublicPackages(root, dest) {
  execFileSync('npx', [...PNPM, '-r', '--filter', './packages/*', 'pack', '--pack-destination', dest], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  const tarballs = {};
  const problems = [];
  for (const file of readdirSync(dest).filter((name) => name.endsWith('.tgz'))) {
    const path = join(dest, file);
    const entries = execFileSync('tar', ['tzf', path], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const manifest = JSON.parse(
      execFileSync('tar', ['xzOf', path, 'package/package.json'], { encoding: 'utf8' }),
    );
    tarballs[manifest.name] = path;
    for (const entry of entries)
      if (!NEEDED.test(entry)) problems.push(`${file}: ${entry.slice('package/'.length)}`);
    const internal = Object.entries(manifest.dependencies ?? {}).filter(([, range]) =>
      range.startsWith('workspace:'),
    );
    for (const [name] of internal) problems.push(`${file}: dependency ${name} left as workspace:`);
  }
  return { tarballs, problems };
}

// `node test/consumers/pack.mjs <dest>`: the check alone, for CI next to `pnpm publish --dry-run`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { tarballs, problems } = packPublicPackages(process.cwd(), process.argv[2]);
  for (const problem of problems) console.log(`not needed by a user: ${problem}`);
  console.log(`${Object.keys(tarballs).length} tarballs, ${problems.length} unexpected files`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
