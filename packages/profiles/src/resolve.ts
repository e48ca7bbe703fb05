// resolveProfile(): one or more profile words (and overrides) → frozen settings for every capability, each with its source.
import { LbkitError } from '@lbkit/core';
import { closestName, MAX_TIMER_MS, OptionReader, show } from '@lbkit/core/internal';
import { FACTS, type Fact, type ProfileFacts, REMOTE_PROXIES } from './facts.js';
import type {
  BalancerProfile,
  PlatformProfile,
  ProfileName,
  ProfileOverrides,
  ProfileSettings,
  SettingName,
} from './types.js';

const NAMES = Object.keys(FACTS) as ProfileName[];

/** Every profile word `resolveProfile()` knows, balancers first, then platforms. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.freeze([
  ...NAMES.filter((name) => FACTS[name].kind === 'balancer'),
  ...NAMES.filter((name) => FACTS[name].kind === 'platform'),
]);

const OVERRIDE_KEYS = Object.keys({
  idleTimeoutMs: true,
  healthCheckIntervalMs: true,
  unhealthyThreshold: true,
  graceMs: true,
  keepAliveTimeout: true,
  headersTimeout: true,
  requestTimeout: true,
  drainDelayMs: true,
  drainTimeoutMs: true,
  trust: true,
  source: true,
  livenessPath: true,
  readinessPath: true,
  startupPath: true,
} satisfies Record<keyof ProfileOverrides, true>);

/** Above the balancer's idle timeout by this much, so the balancer always closes an idle connection first. */
export const KEEP_ALIVE_MARGIN_MS = 5_000;
/** Added to interval × threshold: the last check's own timeout and the balancer's reaction to it. */
export const NOTICE_MARGIN_MS = 5_000;
/** Left of the grace for cleanup hooks (gracefulShutdown()'s default hookTimeoutMs), at most a quarter of it. */
export const HOOK_RESERVE_MS = 5_000;
/** Node's defaults, kept when nothing holds idle connections. */
const NODE = { keepAliveTimeout: 5_000, headersTimeout: 60_000, requestTimeout: 300_000 };
const DRAIN_DEFAULT_MS = 10_000;
const MIN_DRAIN_MS = 1_000;
const PATHS = { liveness: '/health/live', readiness: '/health/ready', startup: '/health/startup' };
const OWNER = 'resolveProfile()';

/**
 * Resolves `names` (`'kubernetes,aws-alb'`, or a list) into settings for the server, the shutdown,
 * client-ip and health: keep-alive above the balancer's idle timeout, the drain delay from its
 * health check (interval × unhealthy threshold + 5 s), the drain timeout from the grace that is left,
 * the trust and source, the probe paths. `overrides` replace a balancer's number (and what follows
 * from it) or a setting itself. `env` supplies `TERMINATION_GRACE_PERIOD_SECONDS` for Kubernetes.
 * Throws `LBKIT_PROFILES_PROFILE_UNKNOWN` (with the closest name) and `LBKIT_PROFILES_PROFILE_CONFLICT`
 * (two balancers, or two platforms).
 */
export function resolveProfile(
  names: string | readonly string[],
  overrides?: ProfileOverrides,
  env: NodeJS.ProcessEnv = process.env,
): ProfileSettings {
  const profiles = parseNames(names);
  const options = new OptionReader<ProfileOverrides>('PROFILES', OWNER, overrides, OVERRIDE_KEYS);
  const facts = profiles.map((name) => FACTS[name]);
  const balancer = facts.find((f) => f.kind === 'balancer');
  const platform = profiles.find((name): name is PlatformProfile => FACTS[name].kind === 'platform');
  const sources: Partial<Record<SettingName, string>> = {};

  const idle = pick(options, 'idleTimeoutMs', balancer?.idleTimeoutMs);
  const server = serverTimeouts(options, idle, sources);

  const notice = noticeOf(options, facts);
  const grace = graceOf(options, facts, platform, env);
  const drainDelayMs = options.milliseconds('drainDelayMs', undefined) ?? notice.value;
  sources['shutdown.drainDelayMs'] = options.get('drainDelayMs') === undefined ? notice.source : 'override';
  const drainTimeoutMs = options.milliseconds('drainTimeoutMs', undefined) ?? drainFrom(grace, drainDelayMs);
  sources['shutdown.drainTimeoutMs'] =
    options.get('drainTimeoutMs') !== undefined
      ? 'override'
      : grace
        ? `the grace (${grace.value} ms) − the delay − ${reserveOf(grace.value)} ms for cleanup hooks`
        : 'lbkit default: nothing here bounds the drain';
  sources['shutdown.budget.graceMs'] = grace?.source ?? 'none: nothing here kills the process';

  const clientIp = clientIpOf(options, facts, platform, sources);
  const paths = {
    liveness: options.string('livenessPath', PATHS.liveness),
    readiness: options.string('readinessPath', PATHS.readiness),
    startup: options.string('startupPath', PATHS.startup),
  };
  sources['health.paths'] = "lbkit's defaults; point the balancer's health check at paths.readiness";

  return deepFreeze({
    profiles,
    balancer: balancerNumbers(options, profiles, idle),
    server,
    shutdown: {
      drainDelayMs,
      drainTimeoutMs,
      budget: {
        ...(grace ? { graceMs: grace.value, graceSource: grace.source } : {}),
        noticeMs: notice.value,
        noticeSource: notice.source,
      },
    },
    clientIp,
    health: { paths },
    sources: sources as Record<SettingName, string>,
  });
}

function parseNames(names: unknown): ProfileName[] {
  const list = typeof names === 'string' ? names.split(',') : names;
  if (!Array.isArray(list) || list.some((name) => typeof name !== 'string')) {
    throw new LbkitError(
      'LBKIT_PROFILES_OPTION_INVALID',
      `${OWNER}: names must be a string or a list of strings, got ${show(names)}`,
      {
        hint: `Pass a comma list such as 'kubernetes,aws-alb'. Known: ${NAMES.join(', ')}.`,
      },
    );
  }
  const profiles: ProfileName[] = [];
  for (const raw of list as string[]) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    if (!(NAMES as string[]).includes(name)) {
      const near = closestName(name, NAMES);
      throw new LbkitError(
        'LBKIT_PROFILES_PROFILE_UNKNOWN',
        `${OWNER}: unknown profile ${JSON.stringify(raw.trim())}${near ? ` — did you mean ${JSON.stringify(near)}?` : ''}`,
        { hint: `Known profiles: ${NAMES.join(', ')}.` },
      );
    }
    if (!profiles.includes(name as ProfileName)) profiles.push(name as ProfileName);
  }
  if (profiles.length === 0) {
    throw new LbkitError('LBKIT_PROFILES_OPTION_INVALID', `${OWNER}: no profile named in ${show(names)}`, {
      hint: `Name at least one of ${NAMES.join(', ')}.`,
    });
  }
  for (const kind of ['balancer', 'platform'] as const) {
    const same = profiles.filter((name) => FACTS[name].kind === kind);
    if (same.length > 1) {
      throw new LbkitError(
        'LBKIT_PROFILES_PROFILE_CONFLICT',
        `${OWNER}: ${same.join(' and ')} are both ${kind === 'balancer' ? 'balancers' : 'platforms'}; a profile takes one of each at most`,
        {
          hint:
            kind === 'balancer'
              ? 'Name the balancer that connects to this instance (the last hop before the app); a CDN in front of it is configured on that balancer.'
              : 'Name the one platform that starts and stops the process (kubernetes or pm2).',
        },
      );
    }
  }
  return profiles;
}

function pick(
  options: OptionReader<ProfileOverrides>,
  key: keyof ProfileOverrides & string,
  fact: Fact<number> | undefined,
): Fact<number> | undefined {
  const value = options.milliseconds(key, undefined);
  return value === undefined ? fact : { value, source: `override ${key} ${value}` };
}

function serverTimeouts(
  options: OptionReader<ProfileOverrides>,
  idle: Fact<number> | undefined,
  sources: Partial<Record<SettingName, string>>,
): ProfileSettings['server'] {
  const keepAliveTimeout =
    options.milliseconds('keepAliveTimeout', undefined) ??
    (idle ? idle.value + KEEP_ALIVE_MARGIN_MS : NODE.keepAliveTimeout);
  sources['server.keepAliveTimeout'] =
    options.get('keepAliveTimeout') !== undefined
      ? 'override'
      : idle
        ? `${idle.source} + ${KEEP_ALIVE_MARGIN_MS} ms`
        : "Node's default: nothing here pools idle connections";
  // Node has counted headersTimeout across a kept-alive socket's idle time (nodejs/node#27363):
  // above keepAliveTimeout it can never cut a reused idle connection first.
  const headersTimeout =
    options.milliseconds('headersTimeout', undefined) ??
    Math.max(NODE.headersTimeout, keepAliveTimeout + 1_000);
  sources['server.headersTimeout'] =
    options.get('headersTimeout') !== undefined ? 'override' : "keepAliveTimeout + 1 s, at least Node's 60 s";
  const requestTimeout =
    options.milliseconds('requestTimeout', undefined) ?? Math.max(NODE.requestTimeout, headersTimeout);
  sources['server.requestTimeout'] =
    options.get('requestTimeout') !== undefined
      ? 'override'
      : "Node's 300 s, at least headersTimeout (Node requires it)";
  if (requestTimeout !== 0 && headersTimeout > requestTimeout) {
    throw options.invalid(
      `headersTimeout ${headersTimeout} is above requestTimeout ${requestTimeout}`,
      `Node refuses that: raise requestTimeout to ${headersTimeout} or more (0 disables it).`,
    );
  }
  return { keepAliveTimeout, headersTimeout, requestTimeout };
}

function balancerNumbers(
  options: OptionReader<ProfileOverrides>,
  profiles: readonly ProfileName[],
  idle: Fact<number> | undefined,
): ProfileSettings['balancer'] {
  const name = profiles.find((p): p is BalancerProfile => FACTS[p].kind === 'balancer');
  const check = name ? FACTS[name].healthCheck?.value : undefined;
  // Read again rather than passed: noticeOf() has validated them already.
  const interval = options.milliseconds('healthCheckIntervalMs', undefined, 1) ?? check?.intervalMs;
  const threshold =
    options.number('unhealthyThreshold', undefined, { min: 1, max: 100, integer: true }) ??
    check?.unhealthyThreshold;
  return {
    ...(name ? { name } : {}),
    ...(idle ? { idleTimeoutMs: idle.value, idleTimeoutSource: idle.source } : {}),
    ...(name && interval !== undefined ? { healthCheckIntervalMs: interval } : {}),
    ...(name && threshold !== undefined ? { unhealthyThreshold: threshold } : {}),
  };
}

function noticeOf(options: OptionReader<ProfileOverrides>, facts: readonly ProfileFacts[]): Fact<number> {
  const interval = options.milliseconds('healthCheckIntervalMs', undefined, 1);
  const threshold = options.number('unhealthyThreshold', undefined, { min: 1, max: 100, integer: true });
  const candidates: Fact<number>[] = [];
  for (const fact of facts) {
    const check = fact.healthCheck;
    if (check || (fact.kind === 'balancer' && (interval !== undefined || threshold !== undefined))) {
      const i = interval ?? check?.value.intervalMs;
      const t = threshold ?? check?.value.unhealthyThreshold;
      if (i === undefined || t === undefined) {
        throw options.invalid(
          'healthCheckIntervalMs and unhealthyThreshold go together for a balancer with no default health check',
          'Pass both, as your balancer is configured.',
        );
      }
      const overridden = interval !== undefined || threshold !== undefined;
      candidates.push({
        value: i * t + NOTICE_MARGIN_MS,
        source: `${overridden ? `override: health check ${i} ms × ${t}` : check!.source} + ${NOTICE_MARGIN_MS} ms`,
      });
    } else if (fact.noticeMs) {
      candidates.push(fact.noticeMs);
    }
  }
  // The instance must stay reachable until the slowest of the parties in front of it has noticed.
  return candidates.reduce((a, b) => (b.value > a.value ? b : a), {
    value: 0,
    source: 'nothing in front needs to notice',
  });
}

function graceOf(
  options: OptionReader<ProfileOverrides>,
  facts: readonly ProfileFacts[],
  platform: PlatformProfile | undefined,
  env: NodeJS.ProcessEnv,
): Fact<number> | undefined {
  const given = options.milliseconds('graceMs', undefined);
  if (given !== undefined) return { value: given, source: `override graceMs ${given}` };
  const graces = facts.flatMap((fact) => (fact.graceMs ? [fact.graceMs] : []));
  const raw = env.TERMINATION_GRACE_PERIOD_SECONDS;
  if (platform === 'kubernetes' && raw) {
    const seconds = Number(raw);
    if (!/^\d+$/.test(raw) || seconds * 1000 > MAX_TIMER_MS) {
      throw new LbkitError(
        'LBKIT_PROFILES_OPTION_INVALID',
        `${OWNER}: TERMINATION_GRACE_PERIOD_SECONDS must be a whole number of seconds, got ${show(raw)}`,
        { hint: "Set it to the pod's terminationGracePeriodSeconds, for example 30." },
      );
    }
    const k8s = graces.indexOf(FACTS.kubernetes.graceMs!);
    graces[k8s] = { value: seconds * 1000, source: `TERMINATION_GRACE_PERIOD_SECONDS=${raw}` };
  }
  // Whichever ends first bounds the whole shutdown: the kill, or the balancer cutting its connections.
  return graces.reduce<Fact<number> | undefined>(
    (a, b) => (a === undefined || b.value < a.value ? b : a),
    undefined,
  );
}

function reserveOf(graceMs: number): number {
  return Math.min(HOOK_RESERVE_MS, Math.floor(graceMs / 4));
}

function drainFrom(grace: Fact<number> | undefined, drainDelayMs: number): number {
  if (!grace) return DRAIN_DEFAULT_MS;
  // Below a second the drain answers nothing; the budget check then names the grace to raise.
  return Math.max(MIN_DRAIN_MS, grace.value - drainDelayMs - reserveOf(grace.value));
}

function clientIpOf(
  options: OptionReader<ProfileOverrides>,
  facts: readonly ProfileFacts[],
  platform: PlatformProfile | undefined,
  sources: Partial<Record<SettingName, string>>,
): ProfileSettings['clientIp'] {
  const from = (facts.find((f) => f.kind === 'balancer') ?? facts[0])!.clientIp;
  let trust = from.value.trust;
  let trustSource = from.source;
  if (platform && REMOTE_PROXIES.has(platform) && trust.length === 1 && trust[0] === 'loopback') {
    trust = ['private'];
    trustSource = `${from.source}, but in Kubernetes the proxy is another pod: private`;
  }
  const givenTrust: unknown = options.get('trust');
  if (givenTrust !== undefined) {
    const list = typeof givenTrust === 'string' ? givenTrust.split(',').map((s) => s.trim()) : givenTrust;
    if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string' || entry === '')) {
      throw options.invalid(
        `trust must be a string or a list of strings, got ${show(givenTrust)}`,
        "Pass for example trust: ['10.0.0.0/8'].",
      );
    }
    trust = list as string[];
    trustSource = 'override';
  }
  const source = options.string('source', from.value.source);
  sources['clientIp.trust'] = trustSource;
  sources['clientIp.source'] = options.get('source') === undefined ? from.source : 'override';
  return { trust: [...trust], source };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
