// The demo's configuration, read from the environment exactly as shared/CONTRACT.md lists it.
import { hostname } from 'node:os';
import { type ProfileSettings, resolveProfile } from '@lbkit/profiles';

/** A `host:port` from a comma list such as REDIS_SENTINELS or REDIS_CLUSTER_NODES. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Everything the demo app reads from its environment. */
export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  readonly instanceId: string;
  readonly redisUrl: string | undefined;
  /** Sentinels to ask for the master (REDIS_SENTINELS), instead of REDIS_URL. */
  readonly redisSentinels: readonly HostPort[] | undefined;
  /** The master's name the sentinels know (REDIS_SENTINEL_NAME). */
  readonly redisSentinelName: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES), instead of REDIS_URL. */
  readonly redisClusterNodes: readonly HostPort[] | undefined;
  readonly databaseUrl: string | undefined;
  /** Trusted proxies: comma list of CIDRs, named ranges or presets. */
  readonly trust: string[];
  /** `x-forwarded-for`, `forwarded`, a single header name, or `proxy-protocol`. */
  readonly ipSource: string;
  readonly drainDelayMs: number;
  readonly drainTimeoutMs: number;
  /** Port of the HAProxy agent-check responder, on `host`; undefined for none. */
  readonly agentCheckPort: number | undefined;
  /** After ready, ramp the weight reported to the balancer (agent-check, ORCA) over this many ms; 0 for none. */
  readonly slowStartMs: number;
  readonly sessionSecret: string;
  /** The balancer profile(s) of LBKIT_BEHIND, resolved; undefined for none. The variables above win over it. */
  readonly behind?: ProfileSettings;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number ≥ 0, got ${JSON.stringify(raw)}`);
  return value;
}

function port(env: NodeJS.ProcessEnv, name: string): number | undefined {
  if (!env[name]) return undefined;
  const value = integer(env, name, 0);
  if (value > 65535)
    throw new Error(`${name} must be a port from 0 to 65535, got ${JSON.stringify(env[name])}`);
  return value;
}

/** `host:port,host:port`; an IPv6 host is written in brackets (`[::1]:26379`). */
function hostPorts(env: NodeJS.ProcessEnv, name: string): HostPort[] | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  return raw.split(',').map((entry) => {
    const found = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(entry.trim());
    const value = Number(found?.[3]);
    if (!found || value < 1 || value > 65535)
      throw new Error(
        `${name} must be a comma list of host:port, got ${JSON.stringify(entry)} in ${JSON.stringify(raw)}`,
      );
    return { host: found[1] ?? found[2]!, port: value };
  });
}

/** Reads the demo configuration; throws with the variable's name when a value is malformed. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const redisChoices = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter((name) => env[name]);
  if (redisChoices.length > 1)
    throw new Error(
      `set one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES, not ${redisChoices.join(' and ')}`,
    );
  // Misspelt or contradictory profiles throw here, at startup, with the closest name.
  const behind = env.LBKIT_BEHIND ? resolveProfile(env.LBKIT_BEHIND, undefined, env) : undefined;
  return {
    port: integer(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    instanceId: env.INSTANCE_ID || `${hostname()}-${process.pid}`,
    redisUrl: env.REDIS_URL || undefined,
    redisSentinels: hostPorts(env, 'REDIS_SENTINELS'),
    redisSentinelName: env.REDIS_SENTINEL_NAME || 'mymaster',
    redisClusterNodes: hostPorts(env, 'REDIS_CLUSTER_NODES'),
    databaseUrl: env.DATABASE_URL || undefined,
    trust: env.LBKIT_TRUST
      ? env.LBKIT_TRUST.split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [...(behind?.clientIp.trust ?? ['loopback'])],
    ipSource: env.LBKIT_IP_SOURCE || behind?.clientIp.source || 'x-forwarded-for',
    drainDelayMs: integer(env, 'DRAIN_DELAY_MS', behind?.shutdown.drainDelayMs ?? 0),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', behind?.shutdown.drainTimeoutMs ?? 10_000),
    agentCheckPort: port(env, 'AGENT_CHECK_PORT'),
    slowStartMs: integer(env, 'SLOW_START_MS', 0),
    sessionSecret: env.SESSION_SECRET || 'lbkit-demo-session-secret-change-me-in-production',
    ...(behind ? { behind } : {}),
  };
}
