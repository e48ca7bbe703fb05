// What each balancer and platform does by default, as its documentation states it: the numbers every derived setting starts from.
import type { PlatformProfile, ProfileName } from './types.js';

/** A documented number and where it is documented. */
export interface Fact<T> {
  readonly value: T;
  readonly source: string;
}

/** One profile's defaults; a fact left out means the product has no such number. */
export interface ProfileFacts {
  readonly kind: 'balancer' | 'platform';
  /** How long the balancer keeps an idle pooled connection to the instance open. */
  readonly idleTimeoutMs?: Fact<number>;
  /** How often it checks, and after how many failures it stops sending new requests. */
  readonly healthCheck?: Fact<{ readonly intervalMs: number; readonly unhealthyThreshold: number }>;
  /** Time it waits for in-flight work (deregistration delay), or the platform's grace before SIGKILL. */
  readonly graceMs?: Fact<number>;
  /** Time it takes to stop routing to a stopping instance when no health check decides it. */
  readonly noticeMs?: Fact<number>;
  /** Who connects to the instance, and how the client address arrives. */
  readonly clientIp: Fact<{ readonly trust: readonly string[]; readonly source: string }>;
}

// Google's documented source ranges for proxied traffic and health checks of its load balancers.
const GOOGLE_FRONT_ENDS = ['35.191.0.0/16', '130.211.0.0/22'];

/** Per profile, the documented defaults (the README's "Where the numbers come from" table). */
export const FACTS: Readonly<Record<ProfileName, ProfileFacts>> = {
  'aws-alb': {
    kind: 'balancer',
    idleTimeoutMs: { value: 60_000, source: 'ALB connection idle timeout, default 60 s' },
    healthCheck: {
      value: { intervalMs: 30_000, unhealthyThreshold: 2 },
      source: 'target group HealthCheckIntervalSeconds 30 × UnhealthyThresholdCount 2',
    },
    graceMs: { value: 300_000, source: 'target group deregistration_delay.timeout_seconds, default 300 s' },
    clientIp: {
      value: { trust: ['private'], source: 'x-forwarded-for' },
      source: 'ALB nodes connect from the VPC (private addresses) and append X-Forwarded-For',
    },
  },
  'aws-nlb': {
    kind: 'balancer',
    idleTimeoutMs: { value: 350_000, source: 'NLB TCP idle timeout, default 350 s' },
    healthCheck: {
      value: { intervalMs: 30_000, unhealthyThreshold: 2 },
      source: 'target group HealthCheckIntervalSeconds 30 × UnhealthyThresholdCount 2',
    },
    graceMs: { value: 300_000, source: 'target group deregistration_delay.timeout_seconds, default 300 s' },
    clientIp: {
      value: { trust: ['private'], source: 'proxy-protocol' },
      source: 'target group proxy_protocol_v2.enabled: the client address arrives in a PROXY v2 header',
    },
  },
  'gcp-lb': {
    kind: 'balancer',
    idleTimeoutMs: { value: 600_000, source: 'external Application LB backend keepalive timeout, 600 s' },
    healthCheck: {
      value: { intervalMs: 5_000, unhealthyThreshold: 2 },
      source: 'health check checkIntervalSec 5 × unhealthyThreshold 2',
    },
    clientIp: {
      value: { trust: GOOGLE_FRONT_ENDS, source: 'x-forwarded-for' },
      source: 'Google Front Ends connect from 35.191.0.0/16 and 130.211.0.0/22 and append X-Forwarded-For',
    },
  },
  cloudflare: {
    kind: 'balancer',
    idleTimeoutMs: { value: 900_000, source: 'Cloudflare → origin Proxy Idle Timeout, 900 s' },
    clientIp: {
      value: { trust: ['cloudflare'], source: 'cf-connecting-ip' },
      source: "Cloudflare's edges (the `cloudflare` preset) send CF-Connecting-IP",
    },
  },
  nginx: {
    kind: 'balancer',
    idleTimeoutMs: { value: 60_000, source: 'nginx upstream keepalive_timeout, default 60 s' },
    noticeMs: {
      value: 0,
      source:
        'nginx has no active health check: a refused connection goes to the next upstream (proxy_next_upstream error)',
    },
    clientIp: {
      value: { trust: ['loopback'], source: 'x-forwarded-for' },
      source: 'nginx on the same host, proxy_add_x_forwarded_for',
    },
  },
  haproxy: {
    kind: 'balancer',
    idleTimeoutMs: {
      value: 50_000,
      source: "HAProxy timeout server 50 s (its configuration manual's example; no default)",
    },
    healthCheck: {
      value: { intervalMs: 2_000, unhealthyThreshold: 3 },
      source: 'server check inter 2 s × fall 3 (defaults)',
    },
    clientIp: {
      value: { trust: ['loopback'], source: 'x-forwarded-for' },
      source: 'HAProxy on the same host, option forwardfor',
    },
  },
  envoy: {
    kind: 'balancer',
    idleTimeoutMs: { value: 3_600_000, source: 'Envoy upstream HTTP idle_timeout, default 1 h' },
    noticeMs: {
      value: 0,
      source: 'Envoy active health checks have no default (interval and unhealthy_threshold are required)',
    },
    clientIp: {
      value: { trust: ['loopback', 'private'], source: 'x-forwarded-for' },
      source: 'Envoy as a sidecar (loopback) or in the private network, appending X-Forwarded-For',
    },
  },
  kubernetes: {
    kind: 'platform',
    graceMs: { value: 30_000, source: 'pod terminationGracePeriodSeconds, default 30' },
    noticeMs: {
      value: 5_000,
      source:
        'a terminating pod leaves its EndpointSlices at once; 5 s lets kube-proxy and ingress controllers catch up',
    },
    clientIp: {
      value: { trust: [], source: 'x-forwarded-for' },
      source: 'a Service (kube-proxy) forwards TCP, no header: the socket peer is the client',
    },
  },
  pm2: {
    kind: 'platform',
    graceMs: { value: 1_600, source: 'PM2 kill_timeout, default 1600 ms' },
    noticeMs: {
      value: 0,
      source: 'PM2 cluster mode stops routing to a worker once it disconnects',
    },
    clientIp: {
      value: { trust: [], source: 'x-forwarded-for' },
      source: 'PM2 cluster mode hands over the client connection itself',
    },
  },
};

/** Platforms whose balancer runs beside the app elsewhere: a loopback-only trust widens to the private network. */
export const REMOTE_PROXIES: ReadonlySet<PlatformProfile> = new Set(['kubernetes']);
