// The package's source never imports an optional peer (type imports included), so its declarations need none installed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
/** Optional peers from package.json, plus the drivers the store recognises by shape. */
const OPTIONAL = new Set([
  ...Object.entries(manifest.peerDependenciesMeta ?? {})
    .filter(([, meta]) => meta.optional)
    .map(([name]) => name),
  'ioredis',
  'iovalkey',
  'redis',
  '@redis/client',
]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every module a file imports, as TypeScript reads it: `import type` and `import('…')` types included. */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName);
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

describe('@lbkit/session-redis source', () => {
  it('imports no optional peer (ioredis, iovalkey, redis, @redis/client), not even as a type', () => {
    const offending = sources(join(root, 'src')).flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => OPTIONAL.has(packageOf(specifier)))
        .map((specifier) => `${file.slice(root.length)}: ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('the check sees type imports and not a driver named in a message', () => {
    expect(specifiers("import type { Redis, Cluster } from 'ioredis';")).toEqual(['ioredis']);
    expect(specifiers("type C = import('@redis/client').RedisClientType;")).toEqual(['@redis/client']);
    expect(specifiers(`const hint = "pass new Redis() from 'ioredis'";`)).toEqual([]);
  });
});
