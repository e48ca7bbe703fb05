// applyServerTimeouts() on real servers, profileCheck() in health's detailed report, and the profile's budget in gracefulShutdown().
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lifecycle } from '@lbkit/core';
import { createHealth } from '@lbkit/health';
import { applyServerTimeouts, profileCheck, resolveProfile } from '@lbkit/profiles';
import { gracefulShutdown } from '@lbkit/shutdown';
import { describe, expect, it } from 'vitest';

describe('applyServerTimeouts()', () => {
  it('sets the three timeouts on a listening server', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const settings = resolveProfile('aws-nlb', undefined, {});
      applyServerTimeouts(server, settings);
      expect(server.keepAliveTimeout).toBe(355_000);
      expect(server.headersTimeout).toBe(356_000);
      expect(server.requestTimeout).toBe(356_000);
      // A keep-alive response announces the new idle timeout (in seconds) to the client.
      const { port } = server.address() as AddressInfo;
      const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
        request({ port, host: '127.0.0.1', headers: { connection: 'keep-alive' }, agent: false }, (res) => {
          res.resume();
          resolve(res.headers['keep-alive'] as string | undefined);
        })
          .on('error', reject)
          .end();
      });
      expect(keepAlive).toBe('timeout=355');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses something that is not a server', () => {
    expect(() => applyServerTimeouts({} as never, resolveProfile('nginx', undefined, {}))).toThrow(
      expect.objectContaining({ code: 'LBKIT_PROFILES_SERVER_INVALID' }),
    );
  });
});

describe('profileCheck()', () => {
  it('shows the resolved settings in the detailed report only', async () => {
    const settings = resolveProfile('kubernetes,aws-alb', undefined, {});
    const lifecycle = new Lifecycle();
    lifecycle.markReady();
    const health = createHealth({ lifecycle, checks: [profileCheck(settings)] });
    try {
      const detailed = await health.report('readiness', { detailed: true });
      const entry = detailed.checks?.['lbkit:profile']?.[0];
      expect(entry?.status).toBe('pass');
      expect(entry?.observedValue).toMatchObject({
        profiles: ['kubernetes', 'aws-alb'],
        server: { keepAliveTimeout: 65_000 },
        sources: { 'server.keepAliveTimeout': expect.stringContaining('60 s') },
      });
      const terse = await health.report('readiness', { detailed: false });
      expect(terse).toEqual({ status: 'pass' });
    } finally {
      await health.close();
    }
  });
});

describe('the profile shutdown settings in gracefulShutdown()', () => {
  it('warns at startup when Kubernetes grace cannot hold the ALB delay', async () => {
    const settings = resolveProfile('kubernetes,aws-alb', undefined, {});
    const server = createServer();
    const seen: string[] = [];
    await new Promise((resolve) => setImmediate(resolve));
    const listener = (warning: Error & { code?: string; detail?: string }) => {
      if (warning.code === 'LBKIT_SHUTDOWN_BUDGET_OVER_GRACE') seen.push(warning.detail ?? '');
    };
    process.on('warning', listener);
    try {
      gracefulShutdown(server, { ...settings.shutdown, signals: [], ipc: false, exit: false }).dispose();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
      server.close();
    }
    expect(seen).toEqual([expect.stringContaining('terminationGracePeriodSeconds: 66')]);
  });
});
