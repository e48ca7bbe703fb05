// examples/lb/kubernetes/deployment.yaml: its probes answer in both demo apps and its grace period covers the shutdown.
import { readFileSync } from 'node:fs';
import { Lifecycle } from '@lbkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type DemoConfig, readConfig } from '../../examples/shared/src/index.js';
import { type DemoServer, demoServers } from '../helpers/demo-servers.js';
import { shutdownBudget } from './shutdown-budget.js';

/** @lbkit/health's default check timeout: probes must wait longer than the checks. */
const HEALTH_CHECK_TIMEOUT_MS = 1000;

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  ports: Array<{ name: string; containerPort: number }>;
  env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
}

interface Deployment {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { spec: { terminationGracePeriodSeconds: number; containers: Container[] } };
  };
}
interface Service {
  spec: { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> };
}

const text = readFileSync(new URL('../../examples/lb/kubernetes/deployment.yaml', import.meta.url), 'utf8');
const documents = parseAllDocuments(text).map((doc) => {
  if (doc.errors.length > 0)
    throw new Error(`deployment.yaml: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as { kind: string };
});
const deployment = documents.find((d) => d.kind === 'Deployment') as unknown as Deployment;
const service = documents.find((d) => d.kind === 'Service') as unknown as Service;
const pod = deployment?.spec.template.spec;
const container = pod?.containers[0] as Container;
/** The container's literal environment (secret references are left out: the demo runs without them). */
const env = Object.fromEntries(
  (container?.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
);
const probes = container ? [container.startupProbe, container.readinessProbe, container.livenessProbe] : [];

function preStopMs(c: Container): number {
  const hook = c.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds * 1000;
  const command = hook?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) * 1000 : 0;
}

describe('Kubernetes manifest', () => {
  it('has one Deployment with startup, readiness and liveness probes on the health paths, and a Service', () => {
    expect(deployment).toBeDefined();
    expect(service).toBeDefined();
    expect(pod.containers).toHaveLength(1);
    expect(probes.map((p) => p.httpGet.path)).toEqual(['/health/startup', '/health/ready', '/health/live']);
  });

  it('points the probes and the Service at the port the app listens on', () => {
    const port = container.ports.find((p) => p.name === 'http');
    expect(port?.containerPort).toBe(Number(env.PORT));
    for (const probe of probes) expect(probe.httpGet.port).toBe('http');
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    // The kubelet probes the pod IP: the app must not listen on loopback only.
    expect(env.HOST).toBe('0.0.0.0');
  });

  it('gives every probe more time than the health checks take', () => {
    for (const probe of probes)
      expect((probe.timeoutSeconds ?? 1) * 1000).toBeGreaterThan(HEALTH_CHECK_TIMEOUT_MS);
  });

  it('has a grace period covering preStop + drain delay + drain timeout + cleanup hook timeouts', () => {
    const budget = shutdownBudget(env);
    expect(budget.hooks).toBeGreaterThan(0);
    expect(budget.drainDelayMs).toBe(Number(env.DRAIN_DELAY_MS));
    expect(budget.drainTimeoutMs).toBe(Number(env.DRAIN_TIMEOUT_MS));
    expect(preStopMs(container)).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
      preStopMs(container) + budget.totalMs,
    );
  });

  it('does not let liveness restart a container still within its startup window', () => {
    const startupWindow =
      (container.startupProbe.periodSeconds ?? 10) * (container.startupProbe.failureThreshold ?? 3);
    expect(startupWindow).toBeGreaterThanOrEqual(30);
  });
});

/** Starts a demo app on a loopback port (the kubelet would use the pod IP). */
const apps: Record<string, (config: DemoConfig, lifecycle: Lifecycle) => Promise<DemoServer>> = {
  express: (config, lifecycle) => demoServers.express({ config, lifecycle }),
  fastify: (config, lifecycle) => demoServers.fastify({ config, lifecycle }),
};

describe.each(Object.keys(apps))('the manifest probes on the %s demo app', (name) => {
  const running: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of running) await close();
  });

  it('answers every probe path with 200 application/health+json once ready', async () => {
    const lifecycle = new Lifecycle();
    const { url, close } = await apps[name]!(readConfig(env), lifecycle);
    running.push(close);
    // Before markReady the startup probe must fail, or Kubernetes would start liveness checks too early.
    expect((await fetch(`${url}${container.startupProbe.httpGet.path}`)).status).toBe(503);
    lifecycle.markReady();
    for (const probe of probes) {
      const res = await fetch(`${url}${probe.httpGet.path}`);
      expect(res.status, probe.httpGet.path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/health\+json/);
    }
    // Draining fails readiness only: liveness must stay up, or the kubelet would kill a draining pod.
    lifecycle.beginDrain('SIGTERM');
    expect((await fetch(`${url}${container.readinessProbe.httpGet.path}`)).status).toBe(503);
    expect((await fetch(`${url}${container.livenessProbe.httpGet.path}`)).status).toBe(200);
  });
});
