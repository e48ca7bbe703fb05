// Each misconfiguration of a small node:http app makes its finding fail (or warn), and the well-behaved app passes.
import { afterEach, describe, expect, it } from 'vitest';
import { type Finding, runDoctor } from '../src/index.js';
import { type Misconfiguration, startApp, type TestApp } from './app.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

// The idle wait only matters to the keep-alive test; the others bound it short.
const quick = { maxWaitS: 0.3, idleTimeoutS: 0.2 };

async function findings(wrong?: Misconfiguration, options = {}): Promise<Map<string, Finding>> {
  app = await startApp(wrong);
  const list = await runDoctor(app.url, { ...quick, ...options });
  return new Map(list.map((finding) => [finding.id, finding]));
}

describe('runDoctor against misconfigured apps', () => {
  it('passes the well-behaved app, skipping only the drain without --pid', async () => {
    const result = [...(await findings()).values()];
    expect(result.filter((f) => f.status !== 'pass').map((f) => `${f.id} ${f.status}`)).toEqual([
      'drain skip',
    ]);
  });

  it('fails when dependency detail reaches a public caller', async () => {
    const finding = (await findings('leaks-details')).get('exposure.details');
    expect(finding?.status).toBe('fail');
    expect(finding?.message).toContain('/health');
  });

  it('fails when a spoofed X-Forwarded-For from a direct client is believed', async () => {
    const result = await findings('trusts-spoofed-xff');
    expect(result.get('forwarded.x-forwarded-for')?.status).toBe('fail');
    expect(result.get('forwarded.x-forwarded-for')?.message).toContain('203.0.113.7');
  });

  it('fails when a spoofed Forwarded: for= from a direct client is believed', async () => {
    expect((await findings('trusts-spoofed-forwarded')).get('forwarded.forwarded')?.status).toBe('fail');
  });

  it('fails when X-Forwarded-Host is believed from an address whose X-Forwarded-For is not', async () => {
    const finding = (await findings('trusts-forwarded-host')).get('forwarded.x-forwarded-host');
    expect(finding?.status).toBe('fail');
    expect(finding?.message).toContain('spoofed.lbkit-doctor.example');
  });

  it('fails a probe that answers an HTML page, and one that redirects', async () => {
    expect((await findings('html-probe')).get('probe.live.content-type')?.status).toBe('fail');
    await app?.close();
    const redirected = (await findings('redirect-probe')).get('probe.live.status');
    expect(redirected?.status).toBe('fail');
    expect(redirected?.fix).toContain('redirects');
  });

  it('reports an instance that does not answer as one failure', async () => {
    const closed = await startApp();
    await closed.close();
    const list = await runDoctor(closed.url, quick);
    expect(list.map((f) => `${f.id} ${f.status}`)).toEqual(['reachable fail']);
  });

  it("fails when the server's keep-alive timeout is below the balancer's idle timeout", async () => {
    const finding = (await findings('short-keep-alive', { idleTimeoutS: 2, maxWaitS: 5 })).get(
      'keep-alive.idle-timeout',
    );
    expect(finding?.status).toBe('fail');
    expect(finding?.fix).toContain('keepAliveTimeout');
  });

  it('fails a 503 without Retry-After', async () => {
    const result = await findings('no-retry-after');
    expect(result.get('probe.ready.status')?.status).toBe('warn');
    expect(result.get('probe.ready.retry-after')?.status).toBe('fail');
  });

  it('warns when /metrics answers a public caller', async () => {
    expect((await findings('public-metrics')).get('exposure.metrics')?.status).toBe('warn');
  });

  it('fails probes that do not answer HEAD like GET', async () => {
    const result = await findings('no-head');
    expect(result.get('probe.live.head')?.status).toBe('fail');
    expect(result.get('probe.ready.head')?.message).toContain('405');
  });
});
