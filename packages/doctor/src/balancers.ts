// The balancer's numbers for `--behind`, taken from @lbkit/profiles so the doctor and the profiles never disagree.
import { isLbkitError, LbkitError } from '@lbkit/core';
import { PROFILE_NAMES, resolveProfile } from '@lbkit/profiles';
import type { KnownBalancer } from './types.js';

/** What the doctor compares an instance with, from the profile(s) named in `behind`. */
export interface BehindNumbers {
  /** The balancer's idle timeout, its source, and the keepAliveTimeout the profile sets for it. */
  readonly idle:
    | { readonly seconds: number; readonly source: string; readonly keepAliveTimeoutMs: number }
    | undefined;
  /** The balancer's health-check interval, in ms, when it has one. */
  readonly probeIntervalMs: number | undefined;
}

/**
 * Resolves `behind` (profile words as `LBKIT_BEHIND` takes them: `aws-alb`, `kubernetes,aws-alb`)
 * with `resolveProfile()`; throws `LBKIT_DOCTOR_OPTION_INVALID` with the profiles' message (which
 * names the closest profile) when it cannot.
 */
export function numbersBehind(behind: unknown): BehindNumbers {
  let settings: ReturnType<typeof resolveProfile>;
  try {
    // No environment: the doctor checks the balancer's defaults, not this shell's overrides.
    settings = resolveProfile(behind as string, undefined, {});
  } catch (error) {
    if (!isLbkitError(error)) throw error;
    // The profiles' own sentence (it names the closest profile), without its code and hint.
    const end = error.message.indexOf(` (${error.code})`);
    const reason = end < 0 ? error.message : error.message.slice(0, end);
    throw new LbkitError('LBKIT_DOCTOR_OPTION_INVALID', `runDoctor(): behind: ${reason}`, {
      hint: `Name a profile of @lbkit/profiles: ${PROFILE_NAMES.join(', ')} (a balancer, optionally with a platform: kubernetes,aws-alb); Azure Load Balancer and others without one: pass idleTimeoutS (--idle-timeout).`,
      cause: error,
    });
  }
  const { balancer, server, profiles } = settings;
  const label = balancer.name ?? profiles.join(',');
  return {
    idle:
      balancer.idleTimeoutMs === undefined
        ? undefined
        : {
            seconds: balancer.idleTimeoutMs / 1000,
            source: `${label}: ${balancer.idleTimeoutSource}`,
            keepAliveTimeoutMs: server.keepAliveTimeout,
          },
    probeIntervalMs: balancer.healthCheckIntervalMs,
  };
}

/** Default idle timeout, in seconds, of each balancer profile of @lbkit/profiles (`resolveProfile(name).balancer`). */
export const BALANCER_IDLE_TIMEOUTS_S: Readonly<Record<KnownBalancer, number>> = Object.freeze(
  Object.fromEntries(
    PROFILE_NAMES.flatMap((name) => {
      const { balancer } = resolveProfile(name, undefined, {});
      return balancer.name && balancer.idleTimeoutMs !== undefined
        ? [[name, balancer.idleTimeoutMs / 1000]]
        : [];
    }),
  ) as Record<KnownBalancer, number>,
);
