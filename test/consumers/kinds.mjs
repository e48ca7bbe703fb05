// The consumer projects: what each one installs (only what its app uses), how it is built and run.
import { readFileSync } from 'node:fs';

const workspace = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
// The compiler the packages are built with, so a TypeScript release cannot change the verdict unnoticed.
const typescript = { typescript: workspace.devDependencies.typescript, '@types/node': '^20.19.0' };

const nodeHttp = [
  '@lbkit/core',
  '@lbkit/health',
  '@lbkit/client-ip',
  '@lbkit/shutdown',
  '@lbkit/session-redis',
];
const redis = { redis: '^5.0.0' };

function tsconfig(module, moduleResolution) {
  return {
    compilerOptions: {
      target: 'es2022',
      module,
      moduleResolution,
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      rootDir: 'src',
      outDir: 'dist',
    },
    include: ['src'],
  };
}

/**
 * One entry per project kind. `type` is package.json's "type" (undefined: CommonJS); `app` the file of
 * ./apps copied to `file`; `main` what node runs; `lbkit` the packages installed from the tarballs.
 */
export const kinds = [
  {
    name: 'esm',
    type: 'module',
    app: 'node-http.mjs',
    file: 'app.js',
    main: 'app.js',
    lbkit: nodeHttp,
    deps: redis,
  },
  { name: 'commonjs', app: 'node-http.cjs', file: 'app.js', main: 'app.js', lbkit: nodeHttp, deps: redis },
  {
    name: 'ts-nodenext-cjs',
    app: 'node-http.mts',
    file: 'src/app.ts',
    main: 'dist/app.js',
    expectOutput: /\brequire\("@lbkit\/core"\)/, // the emitted file is CommonJS
    lbkit: nodeHttp,
    deps: redis,
    devDeps: typescript,
    tsconfig: tsconfig('nodenext', 'nodenext'),
  },
  {
    name: 'ts-bundler',
    type: 'module',
    app: 'node-http.mts',
    file: 'src/app.ts',
    main: 'dist/app.js',
    lbkit: nodeHttp,
    deps: redis,
    devDeps: typescript,
    tsconfig: tsconfig('esnext', 'bundler'),
  },
  ...[
    ['express-4', '^4.21.0', '^4.17.21'],
    ['express-5', '^5.0.0', '^5.0.0'],
  ].map(([name, express, types]) => ({
    name,
    type: 'module',
    app: 'express.mts',
    file: 'src/app.ts',
    main: 'dist/app.js',
    lbkit: ['@lbkit/core', '@lbkit/express', '@lbkit/health', '@lbkit/session-redis'],
    deps: { express, 'express-session': '^1.18.0', ...redis },
    devDeps: { ...typescript, '@types/express': types, '@types/express-session': '^1.18.0' },
    tsconfig: tsconfig('nodenext', 'nodenext'),
  })),
  {
    name: 'fastify-5',
    type: 'module',
    app: 'fastify.mts',
    file: 'src/app.ts',
    main: 'dist/app.js',
    lbkit: ['@lbkit/core', '@lbkit/fastify', '@lbkit/health', '@lbkit/session-redis'],
    deps: { fastify: '^5.0.0', '@fastify/cookie': '^11.0.0', '@fastify/session': '^11.0.0', ...redis },
    devDeps: typescript,
    tsconfig: tsconfig('nodenext', 'nodenext'),
  },
];

/** Optional peers no project here uses: installing any of them means a peer is not optional after all. */
export const unusedPeers = ['prom-client', 'ioredis', 'pg', 'mysql2', 'mongodb'];
