import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without declarations
import { refresh } from '../scripts/refresh-ranges.mjs';

const answers: Record<string, string> = {
  'https://www.cloudflare.com/ips-v4': '173.245.48.0/20\n103.21.244.0/22\n',
  'https://www.cloudflare.com/ips-v6': '2400:cb00::/32\n',
  'https://api.fastly.com/public-ip-list': JSON.stringify({
    addresses: ['151.101.0.0/16'],
    ipv6_addresses: ['2a04:4e42::/32'],
  }),
  'https://ip-ranges.amazonaws.com/ip-ranges.json': JSON.stringify({
    prefixes: [
      { ip_prefix: '13.32.0.0/15', service: 'CLOUDFRONT' },
      { ip_prefix: '3.5.140.0/22', service: 'EC2' },
    ],
    ipv6_prefixes: [{ ipv6_prefix: '2600:9000::/28', service: 'CLOUDFRONT' }],
  }),
};

const fakeFetch = async (url: string) =>
  url in answers ? new Response(answers[url]) : new Response('not found', { status: 404 });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): URL {
  const dir = mkdtempSync(join(tmpdir(), 'lbkit-ranges-'));
  dirs.push(dir);
  return pathToFileURL(`${dir}/`);
}

describe('scripts/refresh-ranges.mjs (with the providers answered locally)', () => {
  it("writes dated snapshots with sources, keeping only the provider's service", async () => {
    const dir = dataDir();
    const drift = await refresh({ fetchImpl: fakeFetch, dataDir: dir, today: '2030-01-02' });
    const cloudfront = JSON.parse(readFileSync(new URL('cloudfront.json', dir), 'utf8'));
    expect(cloudfront).toMatchObject({
      provider: 'cloudfront',
      snapshotDate: '2030-01-02',
      sources: ['https://ip-ranges.amazonaws.com/ip-ranges.json'],
      ipv4: ['13.32.0.0/15'],
      ipv6: ['2600:9000::/28'],
    });
    expect(JSON.parse(readFileSync(new URL('cloudflare.json', dir), 'utf8')).ipv4).toEqual([
      '103.21.244.0/22',
      '173.245.48.0/20',
    ]);
    expect(drift.fastly).toEqual({ added: ['151.101.0.0/16', '2a04:4e42::/32'], removed: [] });
  });

  it('--check reports drift and writes nothing', async () => {
    const dir = dataDir();
    writeFileSync(
      new URL('fastly.json', dir),
      JSON.stringify({ ipv4: ['151.101.0.0/16', '23.235.32.0/20'], ipv6: [] }),
    );
    const drift = await refresh({ names: ['fastly'], check: true, fetchImpl: fakeFetch, dataDir: dir });
    expect(drift.fastly).toEqual({ added: ['2a04:4e42::/32'], removed: ['23.235.32.0/20'] });
    expect(JSON.parse(readFileSync(new URL('fastly.json', dir), 'utf8')).ipv4).toContain('23.235.32.0/20');
  });

  it('a failed fetch or a malformed range writes nothing', async () => {
    const dir = dataDir();
    const broken = async (url: string) =>
      url.includes('ips-v6') ? new Response('2400:cb00::/999\n') : fakeFetch(url);
    await expect(refresh({ fetchImpl: broken, dataDir: dir })).rejects.toThrow(/not an IPv6 CIDR/);
    const down = async () => new Response('', { status: 503 });
    await expect(refresh({ names: ['fastly'], fetchImpl: down, dataDir: dir })).rejects.toThrow(/HTTP 503/);
    expect(() => readFileSync(new URL('cloudflare.json', dir))).toThrow();
  });
});
