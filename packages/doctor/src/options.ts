// Reads runDoctor's options once, with the option kit: unknown names, types and ranges refused.
import { LbkitError } from '@lbkit/core';
import { OptionReader } from '@lbkit/core/internal';
import { KEEP_ALIVE_MARGIN_MS } from '@lbkit/profiles';
import { numbersBehind } from './balancers.js';
import type { DoctorOptions } from './types.js';

/** The options with every default filled in. */
export interface Settings {
  readonly base: URL;
  readonly live: string;
  readonly ready: string;
  readonly startup: string | false;
  readonly health: string | false;
  readonly whoami: string | false;
  readonly metrics: string | false;
  /**
   * The balancer's idle timeout, where it came from and the keepAliveTimeout to suggest, or
   * undefined when not told.
   */
  readonly idle:
    | { readonly seconds: number; readonly source: string; readonly keepAliveTimeoutMs: number }
    | undefined;
  readonly maxWaitMs: number;
  readonly requestTimeoutMs: number;
  readonly pid: number | undefined;
  readonly probeIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly progress: (line: string) => void;
}

const KNOWN = [
  'live',
  'ready',
  'startup',
  'health',
  'whoami',
  'metrics',
  'idleTimeoutS',
  'behind',
  'maxWaitS',
  'requestTimeoutMs',
  'pid',
  'probeIntervalS',
  'drainTimeoutS',
  'onProgress',
] as const;

const DAY_S = 86_400;

function path(reader: OptionReader<DoctorOptions>, key: keyof DoctorOptions, fallback: string): string;
function path(
  reader: OptionReader<DoctorOptions>,
  key: keyof DoctorOptions,
  fallback: string,
  optional: true,
): string | false;
function path(
  reader: OptionReader<DoctorOptions>,
  key: keyof DoctorOptions,
  fallback: string,
  optional = false,
): string | false {
  const value: unknown = reader.get(key);
  if (value === undefined) return fallback;
  if (value === false && optional) return false;
  if (typeof value !== 'string' || !value.startsWith('/')) {
    throw reader.invalid(
      `${key} must be a path starting with "/"${optional ? ' or false' : ''}, got ${JSON.stringify(value)}`,
      `Pass ${key}: '${fallback}'${optional ? ', or false when the app has none' : ''}.`,
    );
  }
  return value;
}

/** The base URL: http only, since the doctor speaks to the instance the way a balancer's target group does. */
export function parseBase(url: unknown): URL {
  let base: URL | undefined;
  try {
    base = typeof url === 'string' || url instanceof URL ? new URL(url) : undefined;
  } catch {
    base = undefined;
  }
  if (base?.protocol !== 'http:') {
    throw new LbkitError(
      'LBKIT_DOCTOR_URL_INVALID',
      `runDoctor(): not an http:// URL: ${JSON.stringify(String(url))}`,
      {
        hint: 'Pass the instance itself, for example http://127.0.0.1:3000 (not the balancer, not https).',
      },
    );
  }
  return base;
}

/** Validates `options` for `runDoctor(url, options)`. */
export function readSettings(url: unknown, options: DoctorOptions | undefined): Settings {
  const base = parseBase(url);
  const reader = new OptionReader<DoctorOptions>('DOCTOR', 'runDoctor()', options, KNOWN);
  const behind = reader.get('behind') === undefined ? undefined : numbersBehind(reader.get('behind'));
  const idleTimeoutS = reader.number('idleTimeoutS', undefined, { min: 0.1, max: DAY_S });
  const seconds = (key: 'maxWaitS' | 'probeIntervalS' | 'drainTimeoutS', fallback: number): number =>
    reader.number(key, fallback, { min: 0.1, max: DAY_S }) * 1000;
  const pid = reader.number('pid', undefined, { min: 1, integer: true });
  return {
    base,
    live: path(reader, 'live', '/health/live'),
    ready: path(reader, 'ready', '/health/ready'),
    startup: path(reader, 'startup', '/health/startup', true),
    health: path(reader, 'health', '/health', true),
    whoami: path(reader, 'whoami', '/whoami', true),
    metrics: path(reader, 'metrics', '/metrics', true),
    idle:
      idleTimeoutS !== undefined
        ? {
            seconds: idleTimeoutS,
            source: 'idleTimeoutS',
            keepAliveTimeoutMs: Math.ceil(idleTimeoutS * 1000) + KEEP_ALIVE_MARGIN_MS,
          }
        : behind?.idle,
    maxWaitMs: seconds('maxWaitS', 120),
    requestTimeoutMs: reader.milliseconds('requestTimeoutMs', 5000, 1),
    pid,
    probeIntervalMs:
      reader.get('probeIntervalS') === undefined && behind?.probeIntervalMs !== undefined
        ? behind.probeIntervalMs
        : seconds('probeIntervalS', 5),
    drainTimeoutMs: seconds('drainTimeoutS', 60),
    progress: reader.function<(line: string) => void>('onProgress') ?? (() => {}),
  };
}
