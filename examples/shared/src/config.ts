// The demo's configuration, read from the environment exactly as shared/CONTRACT.md lists it.
import { hostname } from 'node:os';

/** Everything the demo app reads from its environment. */
export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  readonly instanceId: string;
  readonly redisUrl: string | undefined;
  readonly databaseUrl: string | undefined;
  /** Trusted proxies: comma list of CIDRs, named ranges or presets. */
  readonly trust: string[];
  /** `x-forwarded-for`, `forwarded`, a single header name, or `proxy-protocol`. */
  readonly ipSource: string;
  readonly drainDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly sessionSecret: string;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number ≥ 0, got ${JSON.stringify(raw)}`);
  return value;
}

/** Reads the demo configuration; throws with the variable's name when a value is malformed. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return {
    port: integer(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    instanceId: env.INSTANCE_ID || `${hostname()}-${process.pid}`,
    redisUrl: env.REDIS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    trust: (env.LBKIT_TRUST || 'loopback')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ipSource: env.LBKIT_IP_SOURCE || 'x-forwarded-for',
    drainDelayMs: integer(env, 'DRAIN_DELAY_MS', 0),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 10_000),
    sessionSecret: env.SESSION_SECRET || 'lbkit-demo-session-secret-change-me-in-production',
  };
}
