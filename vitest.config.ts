import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('./', import.meta.url));

// Tests import workspace packages from source, so a test run never depends on a stale build.
const packagesDir = `${root}packages/`;
const alias = [
  { find: /^@lbkit\/core\/internal$/, replacement: `${packagesDir}core/src/internal.ts` },
  ...readdirSync(packagesDir).map((name) => ({
    find: new RegExp(`^@lbkit/${name}$`),
    replacement: `${packagesDir}${name}/src/index.ts`,
  })),
];

// End-to-end and overload files start balancers, several app processes and load generators: they
// run one file at a time, after the rest, so two of them never compete for the machine's cores.
const serial = ['test/e2e/**/*.test.ts', 'test/shedding/**/*.test.ts'];

// A test needs a service when it reaches, through its relative imports, one of the helpers that
// start one (redis-server, PostgreSQL, MariaDB, nginx, HAProxy, a built package in a child process),
// or itself starts processes or a browser. Everything else is `unit`: `pnpm test:unit`, no service.
const serviceHelpers = new Set(
  [
    'test/helpers/redis.ts',
    'test/helpers/redis-cluster.ts',
    'test/helpers/redis-sentinel.ts',
    'test/helpers/postgres.ts',
    'test/helpers/services.ts',
    'test/helpers/lb-process.ts',
    'test/helpers/demo-process.ts',
    'packages/shutdown/test/child.ts',
  ].map((path) => `${root}${path}`),
);
const processModules = /^(node:)?child_process$|^playwright-core$/;
const specifiers = /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(specifiers)].map((m) => (m[1] ?? m[2]) as string);
}

function needsService(file: string, seen: Set<string>): boolean {
  if (serviceHelpers.has(file)) return true;
  if (seen.has(file) || !existsSync(file)) return false;
  seen.add(file);
  const imports = importsOf(file);
  // Only the test file itself: helpers such as tls.ts run a CLI (openssl), which starts no service.
  if (seen.size === 1 && imports.some((specifier) => processModules.test(specifier))) return true;
  return imports
    .filter((specifier) => specifier.startsWith('.'))
    .some((specifier) => needsService(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')), seen));
}

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts') && !name.includes('node_modules'))
    .map((name) => `${dir}${name}`);
}

const integration = [
  ...readdirSync(packagesDir).flatMap((name) => testFiles(`${packagesDir}${name}/test/`)),
  ...testFiles(`${root}test/`),
]
  .filter((file) => needsService(file, new Set()))
  .map((file) => relative(root, file));

export default defineConfig({
  resolve: { alias },
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: process.env.LBKIT_TEST_JSON
      ? ['default', ['json', { outputFile: process.env.LBKIT_TEST_JSON }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...serial, ...integration],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integration,
          exclude: serial,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: serial,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
