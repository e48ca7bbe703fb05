import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source, so a test run never depends on a stale build.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
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
