// Every peer range of every package says exactly what the tests run: each part of it is met by an installed tested version, and each tested version meets it.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The root devDependencies each peer is tested with: the package itself and the npm aliases of
 * its other supported majors (`express4` is npm:express@^4, `redis4` npm:redis@^4).
 */
const TESTED_WITH: Readonly<Record<string, readonly string[]>> = {
  express: ['express', 'express4'],
  fastify: ['fastify'],
  ioredis: ['ioredis'],
  iovalkey: ['iovalkey'],
  mongodb: ['mongodb'],
  mysql2: ['mysql2'],
  pg: ['pg'],
  '@opentelemetry/api': ['@opentelemetry/api'],
  'prom-client': ['prom-client'],
  redis: ['redis', 'redis4'],
  ws: ['ws'],
};

type Version = readonly [number, number, number];

function parseVersion(text: string): Version {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`not a plain x.y.z version: ${text}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * npm's caret: `^1.2.3` is >=1.2.3 <2.0.0, `^0.4.0` is >=0.4.0 <0.5.0. Only carets are allowed:
 * an open range (`>=5`) would promise majors no test has run.
 */
function satisfiesCaret(version: Version, caret: string): boolean {
  const match = /^\^(\d+\.\d+\.\d+)$/.exec(caret.trim());
  if (!match) throw new Error(`peer range part "${caret}" is not a caret range ^x.y.z`);
  const low = parseVersion(match[1]!);
  const high: Version = low[0] > 0 ? [low[0] + 1, 0, 0] : [0, low[1] + 1, 0];
  return compare(version, low) >= 0 && compare(version, high) < 0;
}

function installedVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

interface Manifest {
  name: string;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifests: Manifest[] = readdirSync(`${root}packages`).map(
  (dir) => JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) as Manifest,
);
const peers = manifests.flatMap((manifest) =>
  Object.entries(manifest.peerDependencies ?? {}).map(([peer, range]) => ({ manifest, peer, range })),
);

describe('peer ranges', () => {
  it('there are peers to check (the packages were read)', () => {
    expect(peers.length).toBeGreaterThan(5);
  });

  it.each(
    peers.map(({ manifest, peer, range }) => [`${manifest.name} → ${peer} ${range}`, manifest, peer, range]),
  )(
    '%s: every tested version meets it, every part of it is tested, and it is optional',
    (_label, manifest, peer, range) => {
      const tested = TESTED_WITH[peer as string];
      expect(tested, `add the root devDependencies that test ${peer} to TESTED_WITH`).toBeDefined();
      const versions = tested!.map((name) => [name, parseVersion(installedVersion(name))] as const);
      const parts = (range as string).split('||').map((part) => part.trim());
      for (const [name, version] of versions) {
        expect(
          parts.some((part) => satisfiesCaret(version, part)),
          `${name}@${version.join('.')} is outside ${range}`,
        ).toBe(true);
      }
      for (const part of parts) {
        expect(
          versions.some(([, version]) => satisfiesCaret(version, part)),
          `no installed version of ${peer} tests ${part}`,
        ).toBe(true);
      }
      // Drivers and frameworks are detected or typed structurally, so none has to be installed.
      expect((manifest as Manifest).peerDependenciesMeta?.[peer as string]?.optional).toBe(true);
    },
  );

  it('the check itself reads carets as npm does', () => {
    expect(satisfiesCaret([4, 22, 3], '^4.21.0')).toBe(true);
    expect(satisfiesCaret([5, 0, 0], '^4.21.0')).toBe(false);
    expect(satisfiesCaret([4, 20, 9], '^4.21.0')).toBe(false);
    expect(satisfiesCaret([0, 4, 9], '^0.4.0')).toBe(true);
    expect(satisfiesCaret([0, 5, 0], '^0.4.0')).toBe(false);
    expect(() => satisfiesCaret([6, 0, 0], '>=5.0.0')).toThrow(/not a caret range/);
  });
});
