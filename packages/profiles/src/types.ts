// Public types of @lbkit/profiles.

/** Stable error codes of @lbkit/profiles (see the README for meaning and fix). */
export type ProfilesErrorCode =
  | 'LBKIT_PROFILES_OPTION_UNKNOWN'
  | 'LBKIT_PROFILES_OPTION_INVALID'
  | 'LBKIT_PROFILES_FACTORY_NOT_CALLED'
  | 'LBKIT_PROFILES_PROFILE_UNKNOWN'
  | 'LBKIT_PROFILES_PROFILE_CONFLICT'
  | 'LBKIT_PROFILES_SERVER_INVALID';

/** A balancer in front of the instances: at most one per profile. */
export type BalancerProfile = 'aws-alb' | 'aws-nlb' | 'gcp-lb' | 'cloudflare' | 'nginx' | 'haproxy' | 'envoy';

/** What runs and stops the process: at most one per profile, combinable with a balancer. */
export type PlatformProfile = 'kubernetes' | 'pm2';

/** One word of `LBKIT_BEHIND` / `resolveProfile()`. */
export type ProfileName = BalancerProfile | PlatformProfile;

/**
 * Values that replace a profile's: the balancer's own numbers (from which the rest is derived again)
 * or any derived setting (which then stands as given).
 */
export interface ProfileOverrides {
  /** The balancer's idle timeout for its pooled connections to the instance, in ms. */
  readonly idleTimeoutMs?: number;
  /** The balancer's health-check interval, in ms. */
  readonly healthCheckIntervalMs?: number;
  /** Failed checks before the balancer takes the instance out. */
  readonly unhealthyThreshold?: number;
  /** Time from the stop (signal or deregistration) to the kill, in ms. */
  readonly graceMs?: number;
  /** Node's `server.keepAliveTimeout`. */
  readonly keepAliveTimeout?: number;
  /** Node's `server.headersTimeout`. */
  readonly headersTimeout?: number;
  /** Node's `server.requestTimeout`. */
  readonly requestTimeout?: number;
  /** gracefulShutdown()'s `drainDelayMs`. */
  readonly drainDelayMs?: number;
  /** gracefulShutdown()'s `drainTimeoutMs`. */
  readonly drainTimeoutMs?: number;
  /** @lbkit/client-ip's `trust`: addresses, CIDRs, named ranges or presets. */
  readonly trust?: string | readonly string[];
  /** @lbkit/client-ip's `source`. */
  readonly source?: string;
  /** Health's liveness path. */
  readonly livenessPath?: string;
  /** Health's readiness path (the one the balancer's health check should ask). */
  readonly readinessPath?: string;
  /** Health's startup path. */
  readonly startupPath?: string;
}

/** Names of the settings whose origin {@link ProfileSettings.sources} explains. */
export type SettingName =
  | 'server.keepAliveTimeout'
  | 'server.headersTimeout'
  | 'server.requestTimeout'
  | 'shutdown.drainDelayMs'
  | 'shutdown.drainTimeoutMs'
  | 'shutdown.budget.graceMs'
  | 'clientIp.trust'
  | 'clientIp.source'
  | 'health.paths';

/** Node server timeouts, as `http.Server` names them. */
export interface ServerTimeouts {
  /** Idle time before Node closes a kept-alive socket: above the balancer's own idle timeout. */
  readonly keepAliveTimeout: number;
  /** Bound on receiving a request's headers: above `keepAliveTimeout`. */
  readonly headersTimeout: number;
  /** Bound on receiving a whole request: at least `headersTimeout` (Node requires it). */
  readonly requestTimeout: number;
}

/** Options for gracefulShutdown() / shutdownPlugin, spreadable as they are. */
export interface ShutdownSettings {
  /** Long enough for the balancer to notice the failing readiness. */
  readonly drainDelayMs: number;
  /** What the grace leaves for in-flight requests after the delay. */
  readonly drainTimeoutMs: number;
  /** gracefulShutdown()'s `budget`: checked at startup against the hooks you add. */
  readonly budget: {
    readonly graceMs?: number;
    readonly graceSource?: string;
    readonly noticeMs: number;
    readonly noticeSource: string;
  };
}

/** @lbkit/client-ip options, spreadable as they are. */
export interface ClientIpSettings {
  /** Trusted proxies; `[]` when nothing forwards (the socket peer is the client). */
  readonly trust: readonly string[];
  /** Where the client address comes from. */
  readonly source: string;
}

/** @lbkit/health's `paths` option. */
export interface HealthSettings {
  /** The probe paths; point the balancer's health check at `readiness`. */
  readonly paths: { readonly liveness: string; readonly readiness: string; readonly startup: string };
}

/**
 * The balancer's own numbers the settings derive from, after overrides: for tools that compare an
 * instance with the balancer (`lbkit doctor --behind`), so they never keep a table of their own.
 * A number the balancer does not have (or no balancer named) is left out.
 */
export interface BalancerNumbers {
  /** The balancer named, if any. */
  readonly name?: BalancerProfile;
  /** Its idle timeout for pooled connections to the instance, in ms. */
  readonly idleTimeoutMs?: number;
  /** Where `idleTimeoutMs` comes from. */
  readonly idleTimeoutSource?: string;
  /** How often its health check asks, in ms. */
  readonly healthCheckIntervalMs?: number;
  /** Failed checks before it takes the instance out. */
  readonly unhealthyThreshold?: number;
}

/** Everything a profile resolves to, frozen, with where each value comes from. */
export interface ProfileSettings {
  /** The profile words, in the order given, without repeats. */
  readonly profiles: readonly ProfileName[];
  /** The balancer's own numbers (idle timeout, health check) everything else derives from. */
  readonly balancer: BalancerNumbers;
  /** For `applyServerTimeouts()`. */
  readonly server: ServerTimeouts;
  /** For gracefulShutdown(). */
  readonly shutdown: ShutdownSettings;
  /** For createClientIpResolver() / clientIp(). */
  readonly clientIp: ClientIpSettings;
  /** For createHealth(). */
  readonly health: HealthSettings;
  /** For each setting: the documented number it comes from, or `override`. */
  readonly sources: Readonly<Record<SettingName, string>>;
}

/** A health check (as @lbkit/health takes it) that reports the resolved settings in the detailed report. */
export interface ProfileHealthCheck {
  /** `lbkit:profile`. */
  readonly name: string;
  /** False: it never fails. */
  readonly critical: false;
  /** `component`. */
  readonly componentType: string;
  /** Passes, with the settings as `observedValue`. */
  readonly check: () => { readonly status: 'pass'; readonly observedValue: unknown };
}
