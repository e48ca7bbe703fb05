// Resolves HealthOptions once, at startup: defaults, validation, routes and the detail access rule.
import type { IncomingMessage } from 'node:http';
import type { Lifecycle } from '@lbkit/core';
import { lifecycleOption, OptionReader, show } from '@lbkit/core/internal';
import type { ResolvedCheck } from './check-runner.js';
import { compileDetailAccess, type DetailAccess } from './detail-access.js';
import { resolveChecks } from './resolve-checks.js';
import { checkPath, resolveProbes } from './resolve-probes.js';
import { type ResolvedWarmUp, resolveWarmUp } from './resolve-warm-up.js';
import type {
  CheckChange,
  HealthBodyContext,
  HealthOptions,
  HealthPaths,
  HealthStatus,
  HealthStatusCodes,
  ProbeName,
  ShutdownFailureEvent,
} from './types.js';

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

/** Every option `createHealth()` takes (the README's options table). */
export const HEALTH_OPTIONS = [
  'lifecycle',
  'checks',
  'timeoutMs',
  'cacheMs',
  'intervalMs',
  'paths',
  'trustedNetworks',
  'token',
  'tokenHeader',
  'allowDetails',
  'serviceId',
  'description',
  'version',
  'releaseId',
  'probes',
  'statusCodes',
  'body',
  'onCheckChange',
  'onFailureDuringShutdown',
  'warmUp',
] as const satisfies ReadonlyArray<keyof HealthOptions>;

const STATUS_KEYS = ['pass', 'warn', 'fail'] as const satisfies ReadonlyArray<keyof HealthStatusCodes>;

const PATH_KEYS = ['liveness', 'readiness', 'startup', 'health'] as const satisfies ReadonlyArray<
  keyof HealthPaths
>;

/** Everything a Health instance needs, validated. */
export interface ResolvedHealthOptions {
  readonly lifecycle: Lifecycle;
  readonly checks: readonly ResolvedCheck[];
  /** Named probe path → its own checks. */
  readonly probes: ReadonlyMap<`/${string}`, readonly ResolvedCheck[]>;
  readonly intervalMs: number | undefined;
  /** How long a failing readiness's answer stands, for `Retry-After`: the poll interval, else `cacheMs`. */
  readonly retryMs: number;
  readonly routes: ReadonlyMap<string, ProbeName>;
  readonly statusCodes: Readonly<Record<HealthStatus, number>>;
  readonly body: ((context: HealthBodyContext) => unknown) | undefined;
  readonly onCheckChange: ((change: CheckChange) => void) | undefined;
  readonly onFailureDuringShutdown: ((event: ShutdownFailureEvent) => void) | undefined;
  readonly allowsDetails: DetailAccess;
  /** `serviceId`, `description`, `version`, `releaseId` for detailed reports. */
  readonly about: Readonly<Record<string, string>>;
  /** The warm-up before ready, when configured. */
  readonly warmUp: ResolvedWarmUp | undefined;
}

const PATH_PROBES: Readonly<Record<keyof HealthPaths, ProbeName>> = {
  liveness: 'liveness',
  readiness: 'readiness',
  startup: 'startup',
  health: 'readiness',
};

type Reader = OptionReader<HealthOptions>;

// Express's healthcheck() and Fastify's healthPlugin hand their options to createHealth() as they are.
const OWNER = 'createHealth()';

/** Validates `options` and computes everything derivable from them; throws LbkitError on misconfiguration. */
export function resolveHealthOptions(options: unknown): ResolvedHealthOptions {
  const reader: Reader = new OptionReader('HEALTH', OWNER, options, HEALTH_OPTIONS);
  const timeoutMs = reader.milliseconds('timeoutMs', DEFAULTS.timeoutMs, 1);
  const cacheMs = reader.milliseconds('cacheMs', DEFAULTS.cacheMs, 0);
  const intervalMs = reader.milliseconds('intervalMs', undefined, 1);
  const about: Record<string, string> = {};
  for (const key of ['version', 'releaseId', 'serviceId', 'description'] as const) {
    const value = reader.string(key, undefined);
    if (value !== undefined) about[key] = value;
  }
  const seen = new Set<string>();
  const checks = resolveChecks(OWNER, reader.get('checks'), { timeoutMs, cacheMs }, 'checks', seen);
  const routes = resolveRoutes(reader.nested<HealthPaths>('paths', PATH_KEYS));
  const probes = resolveProbes(OWNER, reader, routes, { timeoutMs, cacheMs }, seen);
  return {
    lifecycle: lifecycleOption(reader),
    checks,
    probes,
    intervalMs,
    retryMs: intervalMs ?? cacheMs,
    routes,
    statusCodes: resolveStatusCodes(reader.nested<HealthStatusCodes>('statusCodes', STATUS_KEYS)),
    body: reader.function<(context: HealthBodyContext) => unknown>('body'),
    onCheckChange: reader.function<(change: CheckChange) => void>('onCheckChange'),
    onFailureDuringShutdown:
      reader.function<(event: ShutdownFailureEvent) => void>('onFailureDuringShutdown'),
    allowsDetails: compileDetailAccess({
      trustedNetworks: resolveNetworks(reader),
      token: resolveToken(reader),
      tokenHeader: resolveTokenHeader(reader),
      allowDetails: reader.function<(req: IncomingMessage) => boolean>('allowDetails'),
    }),
    about,
    warmUp: resolveWarmUp(reader),
  };
}

function resolveRoutes(paths: OptionReader<HealthPaths>): Map<string, ProbeName> {
  const routes = new Map<string, ProbeName>();
  for (const key of PATH_KEYS) {
    const path: unknown = paths.get(key) ?? DEFAULTS.paths[key];
    if (path === false) continue;
    routes.set(checkPath(paths, key, path, routes), PATH_PROBES[key]);
  }
  return routes;
}

function resolveStatusCodes(codes: OptionReader<HealthStatusCodes>): Readonly<Record<HealthStatus, number>> {
  const hint = 'pass and warn take 200 to 399 (a balancer counts those as up), fail 400 to 599.';
  return {
    pass: codes.number('pass', 200, { min: 200, max: 399, integer: true, hint }),
    warn: codes.number('warn', 200, { min: 200, max: 399, integer: true, hint }),
    fail: codes.number('fail', 503, { min: 400, max: 599, integer: true, hint }),
  };
}

function resolveNetworks(reader: Reader): readonly string[] | undefined {
  const networks: unknown = reader.get('trustedNetworks');
  if (networks === undefined) return undefined;
  if (!Array.isArray(networks)) {
    throw reader.invalid(
      `trustedNetworks must be an array, got ${show(networks)}`,
      'Pass for example trustedNetworks: ["10.0.0.0/8", "loopback"].',
      'LBKIT_HEALTH_NETWORK_INVALID',
    );
  }
  return networks;
}

function resolveToken(reader: Reader): string | undefined {
  const token: unknown = reader.get('token');
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || token.length > 1024) {
    throw reader.invalid(
      `token must be a string of ${MIN_TOKEN_LENGTH} to 1024 characters, got ${typeof token === 'string' ? `${token.length} characters` : show(token)}`,
      'Generate one with `openssl rand -hex 32` and keep it out of the source code.',
      'LBKIT_HEALTH_TOKEN_WEAK',
    );
  }
  return token;
}

function resolveTokenHeader(reader: Reader): string {
  const header: unknown = reader.get('tokenHeader');
  if (header === undefined) return DEFAULTS.tokenHeader;
  if (typeof header !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(header)) {
    throw reader.invalid(
      `tokenHeader must be a header name, got ${show(header)}`,
      `Leave it out to use ${DEFAULTS.tokenHeader}.`,
    );
  }
  // node:http lower-cases incoming header names.
  return header.toLowerCase();
}
