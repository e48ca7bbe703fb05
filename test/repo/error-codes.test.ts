// Every error code follows the one rule, is exported in its package's typed union and is in its README.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The package part of `LBKIT_<PACKAGE>_<SUBJECT>_<PROBLEM>`, per package directory. */
const PACKAGE_CODE: Record<string, string> = {
  core: 'CORE',
  health: 'HEALTH',
  'client-ip': 'CLIENT_IP',
  'session-redis': 'SESSION',
  shutdown: 'SHUTDOWN',
  shedding: 'SHEDDING',
  metrics: 'METRICS',
  'balancer-feedback': 'FEEDBACK',
  express: 'EXPRESS',
  fastify: 'FASTIFY',
  profiles: 'PROFILES',
  doctor: 'DOCTOR',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [readFileSync(join(dir, entry.name), 'utf8')]
        : [],
  );
}

/** Codes a package's src raises: literal codes, plus those the option kit raises for it. */
function raisedCodes(name: string): Set<string> {
  const codes = new Set<string>();
  for (const text of sources(join(root, 'packages', name, 'src'))) {
    // Doc comments and the typed union name codes too; only string literals in code count here.
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const m of code.matchAll(/['"`](LBKIT_[A-Z0-9_]+)['"`]/g)) codes.add(m[1] as string);
    for (const m of code.matchAll(/new OptionReader(?:<[^>]*>)?\(\s*'([A-Z_]+)'/g)) {
      codes.add(`LBKIT_${m[1]}_OPTION_UNKNOWN`).add(`LBKIT_${m[1]}_OPTION_INVALID`);
      codes.add(`LBKIT_${m[1]}_FACTORY_NOT_CALLED`);
    }
    for (const m of code.matchAll(/answerUncalledFactory\(\s*'([A-Z_]+)'/g)) {
      codes.add(`LBKIT_${m[1]}_FACTORY_NOT_CALLED`);
    }
  }
  return codes;
}

function unionCodes(name: string): Set<string> | undefined {
  const types = readFileSync(join(root, 'packages', name, 'src', 'types.ts'), 'utf8');
  const m = /export type \w+ErrorCode\s*=([^;]*);/.exec(types);
  if (!m) return undefined;
  return new Set([...(m[1] as string).matchAll(/'(LBKIT_[A-Z0-9_]+)'/g)].map((x) => x[1] as string));
}

function readmeCodes(name: string): { table: Set<string>; anywhere: Set<string> } {
  const readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8');
  const section = readme.split(/^## Error codes\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  const codesIn = (text: string) =>
    new Set([...text.matchAll(/`(LBKIT_[A-Z0-9_]+)`/g)].map((m) => m[1] as string));
  return { table: codesIn(section), anywhere: codesIn(readme) };
}

const allRaised = new Set(Object.keys(PACKAGE_CODE).flatMap((name) => [...raisedCodes(name)]));

describe.each(Object.keys(PACKAGE_CODE))('error codes of @lbkit/%s', (name) => {
  const raised = raisedCodes(name);

  it('follow LBKIT_<PACKAGE>_<SUBJECT>_<PROBLEM> with the package’s own prefix', () => {
    const rule = new RegExp(`^LBKIT_${PACKAGE_CODE[name]}_[A-Z0-9]+(_[A-Z0-9]+)+$`);
    // Adapters may re-raise their core package's codes; everything else must carry the own prefix.
    const foreign = [...raised].filter((code) => !rule.test(code));
    const allowed =
      name === 'express' || name === 'fastify'
        ? foreign.filter((c) => !allRaisedElsewhere(c, name))
        : foreign;
    expect(allowed).toEqual([]);
  });

  it('are all exported in the package’s typed ErrorCode union, and the union has no stale code', () => {
    const union = unionCodes(name);
    expect(union, `packages/${name}/src/types.ts exports no …ErrorCode union`).toBeDefined();
    const own = [...raised].filter((code) => code.startsWith(`LBKIT_${PACKAGE_CODE[name]}_`)).sort();
    expect([...(union ?? [])].sort()).toEqual(own);
  });

  it('are each listed under "Error codes" in its README, and the README lists no code that does not exist', () => {
    const { table, anywhere } = readmeCodes(name);
    const own = [...raised].filter((code) => code.startsWith(`LBKIT_${PACKAGE_CODE[name]}_`));
    expect(own.filter((code) => !table.has(code)).sort()).toEqual([]);
    expect([...anywhere].filter((code) => !allRaised.has(code)).sort()).toEqual([]);
  });
});

function allRaisedElsewhere(code: string, self: string): boolean {
  return Object.keys(PACKAGE_CODE).some((other) => other !== self && raisedCodes(other).has(code));
}
