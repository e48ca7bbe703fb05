// `pnpm demo` in headless Chromium: the live page shows every instance, a drain shows as draining, no request fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, livePageUrl } from '../helpers/live-page.js';
import { freePort } from '../helpers/ports.js';
import { requireService } from '../helpers/services.js';

const DEMO = fileURLToPath(new URL('../../examples/cluster/dist/main.js', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const INSTANCES = 3;

/** Text of a field of the card of `slot` (1-based). */
const field = (page: Page, slot: number, name: string) =>
  page.locator(`[data-testid="instance"][data-slot="${slot}"] [data-field="${name}"]`);

describe.runIf(requireService('chromium', existsSync(CHROMIUM), 'apt-get install chromium'))(
  'pnpm demo: the live page in headless Chromium',
  () => {
    let demo: ChildProcess;
    let output = '';
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      expect(existsSync(DEMO), `${DEMO} is missing: run pnpm build first`).toBe(true);
      const [port, dashboardPort] = [await freePort(), await freePort()];
      demo = spawn(process.execPath, [DEMO], {
        env: {
          ...process.env,
          PORT: String(port),
          DASHBOARD_PORT: String(dashboardPort),
          INSTANCES: String(INSTANCES),
          // Long enough for the page (updated every 500 ms) to show the instance draining.
          DRAIN_DELAY_MS: '3000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      demo.stdout?.on('data', (chunk) => (output += chunk));
      demo.stderr?.on('data', (chunk) => (output += chunk));
      const url = await livePageUrl(demo, () => output);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(url);
    });

    afterAll(async () => {
      await browser?.close();
      // After a failure the demo may still run: SIGTERM lets it stop its workers and its redis-server.
      if (demo && demo.exitCode === null && demo.signalCode === null) {
        const exited = once(demo, 'exit');
        demo.kill('SIGTERM');
        const timer = setTimeout(() => demo.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    });

    it('shows every instance as ready, with its limit, health and sessions', async () => {
      const cards = page.locator('[data-testid="instance"]');
      await expect.poll(() => cards.count(), { timeout: 10_000 }).toBe(INSTANCES);
      for (let slot = 1; slot <= INSTANCES; slot++) {
        await expect.poll(() => field(page, slot, 'state').textContent(), { timeout: 10_000 }).toBe('ready');
        // The health column fills from the instance's own report, which may come a tick after its state.
        await expect.poll(() => field(page, slot, 'health').textContent(), { timeout: 10_000 }).toBe('pass');
        expect(Number(await field(page, slot, 'concurrency limit').textContent())).toBeGreaterThan(0);
        expect(await field(page, slot, 'sessions').textContent()).toMatch(/^(redis|memory)/);
      }
    });

    it('sends load from the page and counts answers, with no failed request', async () => {
      await page.click('[data-testid="send-load"]');
      await expect
        .poll(async () => Number(await page.locator('[data-testid="ok"]').textContent()), { timeout: 10_000 })
        .toBeGreaterThan(100);
      expect(await page.locator('[data-testid="failed"]').textContent()).toBe('0');
    });

    it('shows a drained instance as draining, then gone, while the others serve and nothing fails', async () => {
      await page.click('[data-testid="instance"][data-slot="2"] button[data-action="drain"]');
      await expect.poll(() => field(page, 2, 'state').textContent(), { timeout: 5000 }).toBe('draining');
      expect(await field(page, 2, 'health').textContent()).toBe('fail');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}demo-draining.png`, fullPage: true });
      await expect.poll(() => field(page, 2, 'state').textContent(), { timeout: 15_000 }).toBe('exited');
      expect(await field(page, 1, 'state').textContent()).toBe('ready');
      expect(await page.locator('[data-testid="failed"]').textContent()).toBe('0');
    });

    it('starts the drained instance again, and nothing fails', async () => {
      const okBefore = Number(await page.locator('[data-testid="ok"]').textContent());
      await page.click('[data-testid="instance"][data-slot="2"] button[data-action="restart"]');
      await expect.poll(() => field(page, 2, 'state').textContent(), { timeout: 15_000 }).toBe('ready');
      await expect
        .poll(async () => Number(await page.locator('[data-testid="ok"]').textContent()), { timeout: 10_000 })
        .toBeGreaterThan(okBefore + 50);
      expect(await page.locator('[data-testid="failed"]').textContent()).toBe('0');
      await page.screenshot({ path: `${ARTIFACTS}demo.png`, fullPage: true });
      expect(existsSync(`${ARTIFACTS}demo.png`)).toBe(true);
    });

    it('drains every instance and exits 0 on SIGTERM', async () => {
      demo.kill('SIGTERM');
      const [code] = (await once(demo, 'exit')) as [number | null];
      expect(code, output).toBe(0);
    });
  },
);
