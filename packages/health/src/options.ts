// Resolves HealthOptions once, at startup: defaults, validation, routes and the detail access rule.
import type { IncomingMessage } from 'node:http';
import { defaultLifecycle, LbkitError, type Lifecycle } from '@lbkit/core';
import type { ResolvedCheck } from './check-runner.js';
import { compileDetailAccess, type DetailAccess } from './detail-access.js';
import { resolveChecks } from './resolve-checks.js';
import type { HealthOptions, HealthPaths, Probe } from './types.js';
import { milliseconds, show, text } from './validate.js';

/** Defaults documented in the README's options table. */
export const DEFAULTS = {
  timeoutMs: 1000,
  cacheMs: 1000,
  tokenHeader: 'x-health-token',
  paths: {
    liveness: '/health/live',
    readiness: '/health/ready',
    startup: '/health/startup',
    health: '/health',
  },
} as const;

/** Shortest token accepted: anything shorter could be guessed by a patient caller. */
export const MIN_TOKEN_LENGTH = 16;

/** Everything a Health instance needs, validated. */
export interface ResolvedHealthOptions {
  readonly lifecycle: Lifecycle;
  readonly checks: readonly ResolvedCheck[];
  readonly intervalMs: number | undefined;
  readonly routes: ReadonlyMap<string, Probe>;
  readonly allowsDetails: DetailAccess;
  /** `serviceId`, `description`, `version`, `releaseId` for detailed reports. */
  readonly about: Readonly<Record<string, string>>;
}

const PATH_PROBES: ReadonlyArray<[keyof HealthPaths, Probe]> = [
  ['liveness', 'liveness'],
  ['readiness', 'readiness'],
  ['startup', 'startup'],
  ['health', 'readiness'],
];

/** Validates `options` and computes everything derivable from them; throws LbkitError on misconfiguration. */
export function resolveHealthOptions(options: HealthOptions = {}): ResolvedHealthOptions {
  if (typeof options !== 'object' || options === null) {
    throw new LbkitError(
      'LBKIT_HEALTH_OPTION_INVALID',
      `health options must be an object, got ${show(options)}`,
      {
        hint: 'Pass for example { checks: [...] }.',
      },
    );
  }
  const timeoutMs = milliseconds('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs, 1);
  const cacheMs = milliseconds('cacheMs', options.cacheMs, DEFAULTS.cacheMs, 0);
  const intervalMs =
    options.intervalMs === undefined ? undefined : milliseconds('intervalMs', options.intervalMs, 0, 1);
  const lifecycle = options.lifecycle ?? defaultLifecycle();
  if (typeof lifecycle !== 'object' || lifecycle === null || typeof lifecycle.state !== 'string') {
    throw new LbkitError('LBKIT_HEALTH_OPTION_INVALID', 'lifecycle must be a Lifecycle from @lbkit/core', {
      hint: 'Pass lifecycle: new Lifecycle() (or leave it out to use defaultLifecycle()).',
    });
  }
  const about: Record<string, string> = {};
  for (const key of ['version', 'releaseId', 'serviceId', 'description'] as const) {
    const value = text(key, options[key]);
    if (value !== undefined) about[key] = value;
  }
  return {
    lifecycle,
    checks: resolveChecks(options.checks, { timeoutMs, cacheMs }),
    intervalMs,
    routes: resolveRoutes(options.paths ?? {}),
    allowsDetails: compileDetailAccess({
      trustedNetworks: resolveNetworks(options.trustedNetworks),
      token: resolveToken(options.token),
      tokenHeader: resolveTokenHeader(options.tokenHeader),
      allowDetails: resolveAllowDetails(options.allowDetails),
    }),
    about,
  };
}

function resolveRoutes(paths: HealthPaths): ReadonlyMap<string, Probe> {
  const routes = new Map<string, Probe>();
  for (const [key, probe] of PATH_PROBES) {
    const path = paths[key] ?? DEFAULTS.paths[key];
    if (path === false) continue;
    if (
      typeof path !== 'string' ||
      !/^\/[\x21-\x7e]{0,255}$/.test(path) ||
      path.includes('?') ||
      path.includes('#')
    ) {
      throw new LbkitError(
        'LBKIT_HEALTH_PATH_INVALID',
        `paths.${key} must be a path such as /health/ready, got ${show(path)}`,
        {
          hint: 'Start with /, no spaces, query or fragment; or pass false to disable the route.',
        },
      );
    }
    if (routes.has(path)) {
      throw new LbkitError(
        'LBKIT_HEALTH_PATH_INVALID',
        `paths.${key} repeats ${path}, already used by another probe`,
        {
          hint: 'Give every probe its own path, or pass false to disable one.',
        },
      );
    }
    routes.set(path, probe);
  }
  return routes;
}

function resolveNetworks(networks: unknown): readonly string[] | undefined {
  if (networks === undefined) return undefined;
  if (!Array.isArray(networks)) {
    throw new LbkitError(
      'LBKIT_HEALTH_NETWORK_INVALID',
      `trustedNetworks must be an array, got ${show(networks)}`,
      {
        hint: 'Pass for example trustedNetworks: ["10.0.0.0/8", "loopback"].',
      },
    );
  }
  return networks;
}

function resolveToken(token: unknown): string | undefined {
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || token.length > 1024) {
    throw new LbkitError(
      'LBKIT_HEALTH_TOKEN_WEAK',
      `token must be a string of ${MIN_TOKEN_LENGTH} to 1024 characters, got ${typeof token === 'string' ? `${token.length} characters` : show(token)}`,
      { hint: 'Generate one with `openssl rand -hex 32` and keep it out of the source code.' },
    );
  }
  return token;
}

function resolveTokenHeader(header: unknown): string {
  if (header === undefined) return DEFAULTS.tokenHeader;
  if (typeof header !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(header)) {
    throw new LbkitError(
      'LBKIT_HEALTH_OPTION_INVALID',
      `tokenHeader must be a header name, got ${show(header)}`,
      {
        hint: `Leave it out to use ${DEFAULTS.tokenHeader}.`,
      },
    );
  }
  // node:http lower-cases incoming header names.
  return header.toLowerCase();
}

function resolveAllowDetails(allow: unknown): ((req: IncomingMessage) => boolean) | undefined {
  if (allow === undefined || typeof allow === 'function') return allow as never;
  throw new LbkitError('LBKIT_HEALTH_OPTION_INVALID', `allowDetails must be a function, got ${show(allow)}`, {
    hint: 'Pass (req) => boolean, or leave it out.',
  });
}
