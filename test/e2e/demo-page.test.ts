// The demo's live page in headless Chromium: charts drawn with data, share of requests, buttons' states, nothing from elsewhere.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, livePageUrl } from '../helpers/live-page.js';
import { freePort } from '../helpers/ports.js';
import { hasRedis, type PrivateRedis, startRedis } from '../helpers/redis.js';
import { requireService } from '../helpers/services.js';

const DEMO = fileURLToPath(new URL('../../examples/cluster/dist/main.js', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../.tmp/', import.meta.url));
const INSTANCES = 3;

const card = (page: Page, slot: number) => page.locator(`[data-testid="instance"][data-slot="${slot}"]`);

/** Points of the longest polyline of `series` in the chart `chart` under `scope`, and whether any point leaves the zero line. */
async function drawn(
  page: Page,
  scope: string,
  chart: string,
  series: string,
): Promise<{ points: number; aboveZero: boolean }> {
  const lines = await page
    .locator(`${scope} [data-chart="${chart}"] polyline[data-series="${series}"]`)
    .all();
  let points = 0;
  let aboveZero = false;
  for (const line of lines) {
    const ys = ((await line.getAttribute('points').catch(() => null)) ?? '')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((point) => Number(point.split(',')[1]));
    points = Math.max(points, ys.length);
    // The chart's zero line is at y = 61 (its height 64 less 3): a point above it is a value above 0.
    if (ys.some((y) => y < 60.5)) aboveZero = true;
  }
  return { points, aboveZero };
}

describe.runIf(requireService('chromium', existsSync(CHROMIUM), 'apt-get install chromium') && hasRedis())(
  'pnpm demo: the live page draws its charts from the instances (headless Chromium)',
  () => {
    let demo: ChildProcess;
    let output = '';
    let redis: PrivateRedis;
    let browser: Browser;
    let page: Page;
    let pageUrl: string;
    const consoleErrors: string[] = [];
    const requests: string[] = [];

    beforeAll(async () => {
      expect(existsSync(DEMO), `${DEMO} is missing: run pnpm build first`).toBe(true);
      mkdirSync(SHOTS, { recursive: true });
      redis = await startRedis();
      const [port, dashboardPort] = [await freePort(), await freePort()];
      // `--` first, as pnpm 10 passes `pnpm demo -- --instances 3` on.
      demo = spawn(process.execPath, [DEMO, '--', '--instances', String(INSTANCES)], {
        env: {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: String(port),
          DASHBOARD_PORT: String(dashboardPort),
          REDIS_URL: redis.url,
          DRAIN_DELAY_MS: '1000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      demo.stdout?.on('data', (chunk) => (output += chunk));
      demo.stderr?.on('data', (chunk) => (output += chunk));
      pageUrl = await livePageUrl(demo, () => output);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pageUrl);
    });

    afterAll(async () => {
      await browser?.close();
      if (demo && demo.exitCode === null && demo.signalCode === null) {
        const exited = once(demo, 'exit');
        demo.kill('SIGTERM');
        const timer = setTimeout(() => demo.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await redis?.close();
    });

    it('serves the page, its script and its style itself, under a same-origin Content-Security-Policy', async () => {
      for (const path of ['/', '/page.js', '/page.css']) {
        const res = await fetch(new URL(path, pageUrl));
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
        const body = await res.text();
        // Only the SVG namespace may name another host, and it is never fetched.
        expect(body.replaceAll('http://www.w3.org/2000/svg', ''), path).not.toMatch(/https?:\/\/|\/\/cdn/);
      }
    });

    it('shows the Send load button as running once clicked, with what it is doing', async () => {
      await expect
        .poll(() => page.locator('[data-testid="instance"]').count(), { timeout: 15_000 })
        .toBe(INSTANCES);
      for (let slot = 1; slot <= INSTANCES; slot++) {
        await expect
          .poll(() => card(page, slot).locator('[data-field="state"]').textContent(), { timeout: 15_000 })
          .toBe('ready');
      }
      const button = page.locator('[data-testid="send-load"]');
      expect(await button.isDisabled()).toBe(false);
      await button.click();
      await expect.poll(() => button.isDisabled(), { timeout: 2000 }).toBe(true);
      expect(await button.textContent()).toContain('running…');
      await expect
        .poll(() => page.locator('[data-testid="load-status"]').textContent(), { timeout: 2000 })
        .toMatch(/s left, 8 users/);
    });

    it('draws every chart of every instance and of the pool with data', async () => {
      const charts: Array<[string, string, string]> = [];
      for (let slot = 1; slot <= INSTANCES; slot++) {
        const scope = `[data-testid="instance"][data-slot="${slot}"]`;
        charts.push(
          [scope, 'requests', 'served'],
          [scope, 'latency', 'p50'],
          [scope, 'latency', 'p99'],
          [scope, 'limit', 'limit'],
          [scope, 'in-flight', 'inFlight'],
        );
      }
      const pool = '[data-testid="pool"]';
      charts.push(
        [pool, 'pool-requests', 'served'],
        [pool, 'pool-latency', 'p99'],
        [pool, 'pool-in-flight', 'inFlight'],
        [pool, 'pool-per-instance', 'served-1'],
      );
      for (const [scope, chart, series] of charts) {
        await expect
          .poll(() => drawn(page, scope, chart, series), {
            timeout: 15_000,
            message: `${scope} ${chart} ${series}`,
          })
          .toMatchObject({ aboveZero: true });
        expect(
          (await drawn(page, scope, chart, series)).points,
          `${scope} ${chart} ${series}`,
        ).toBeGreaterThan(1);
      }
      const limit = Number(await card(page, 1).locator('[data-field="concurrency limit"]').textContent());
      expect(limit).toBeGreaterThan(0);
      expect(await card(page, 1).locator('[data-field="limit-note"]').textContent()).toMatch(
        /^limit (= the maximum|holds still|adapting)/,
      );
      await page.screenshot({ path: `${SHOTS}demo-page-charts.png`, fullPage: true });
    });

    it('shows the share of requests each instance served, summing to 100 %', async () => {
      const items = page.locator('[data-testid="share-item"]');
      await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(INSTANCES);
      // Read in one go: the list is redrawn every 500 ms.
      const shares = (await items.evaluateAll((els) =>
        els.map((e) => Number(e.getAttribute('data-share'))),
      )) as number[];
      for (const share of shares) expect(share).toBeGreaterThan(0);
      const total = shares.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(99.5);
      expect(total).toBeLessThan(100.5);
    });

    it('drains an instance (button running, then its result), labels its sessions as closed, not down, and starts it again', async () => {
      const drain = card(page, 3).locator('button[data-action="drain"]');
      await drain.click();
      await expect.poll(() => drain.textContent(), { timeout: 2000 }).toContain('running…');
      expect(await drain.isDisabled()).toBe(true);
      await expect
        .poll(() => card(page, 3).locator('[data-field="state"]').textContent(), { timeout: 15_000 })
        .toBe('exited');
      await expect
        .poll(() => card(page, 3).locator('[data-field="result"]').textContent(), { timeout: 5000 })
        .toMatch(/^drained/);
      const sessions = await card(page, 3).locator('[data-field="sessions"]').textContent();
      expect(sessions).not.toContain('down');
      expect(sessions).toMatch(/^redis \(closed with the instance\)/);

      const start = card(page, 3).locator('button[data-action="restart"]');
      expect(await start.textContent()).toBe('Start');
      await start.click();
      await expect.poll(() => start.textContent(), { timeout: 2000 }).toContain('running…');
      await expect
        .poll(() => card(page, 3).locator('[data-field="state"]').textContent(), { timeout: 15_000 })
        .toBe('ready');
      await expect
        .poll(() => card(page, 3).locator('[data-field="result"]').textContent(), { timeout: 5000 })
        .toMatch(/ready/);
      await expect
        .poll(() => card(page, 3).locator('[data-field="sessions"]').textContent(), { timeout: 5000 })
        .toMatch(/^redis · \d+ ops$/);
    }, 45_000);

    it('rolls every instance under its own background load and reports 0 failed of real requests', async () => {
      const roll = page.locator('[data-testid="roll"]');
      const status = page.locator('[data-testid="roll-status"]');
      await roll.click();
      await expect.poll(() => roll.isDisabled(), { timeout: 2000 }).toBe(true);
      expect(await roll.textContent()).toContain('running…');
      await expect.poll(() => status.textContent(), { timeout: 5000 }).toMatch(/^rolling… .*under load/);
      await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^done: rolled 3 instances/);
      const text = (await status.textContent()) ?? '';
      const answered = Number(/(\d+) answered/.exec(text)?.[1]);
      expect(answered, text).toBeGreaterThan(50);
      expect(text).toContain(' 0 failed');
      expect(await roll.isDisabled()).toBe(false);
      await page.screenshot({ path: `${SHOTS}demo-page-rolled.png`, fullPage: true });
      expect(existsSync(`${SHOTS}demo-page-rolled.png`)).toBe(true);
    }, 90_000);

    it('shows the Send load result once its 20 s are over', async () => {
      const status = page.locator('[data-testid="load-status"]');
      await expect
        .poll(() => status.textContent(), { timeout: 30_000 })
        .toMatch(/^done: 20 s, 8 users: \d+ answered/);
      expect(await status.textContent()).toContain(' 0 failed');
      expect(await page.locator('[data-testid="send-load"]').isDisabled()).toBe(false);
    }, 40_000);

    it('logged no console error and asked no host but the demo on loopback', () => {
      expect(consoleErrors).toEqual([]);
      expect(requests.length).toBeGreaterThan(0);
      const elsewhere = requests.filter((url) => {
        const { protocol, hostname } = new URL(url);
        if (protocol === 'data:') return false;
        return !(hostname === 'localhost' || /^127\./.test(hostname));
      });
      expect(elsewhere).toEqual([]);
    });

    it('drains every instance and exits 0 on SIGTERM', async () => {
      await browser.close();
      demo.kill('SIGTERM');
      const [code] = (await once(demo, 'exit')) as [number | null];
      expect(code, output).toBe(0);
    }, 30_000);
  },
);
