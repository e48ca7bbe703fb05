// The demo's live page for the Chromium tests: the demo's address as it prints it, and a headless Chromium.
import type { ChildProcess } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), which the page tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

/** Resolves with the live page's URL once the demo prints it; rejects if it exits first or after 30 s. */
export function livePageUrl(demo: ChildProcess, output: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output()}`)), 30_000);
    const look = (): void => {
      const found = /live page on (http:\/\/\S+)/.exec(output());
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    };
    demo.stdout?.on('data', look);
    demo.once('exit', () => reject(new Error(`the demo exited:\n${output()}`)));
  });
}

/** Headless Chromium with nothing of its own on the network (no QUIC, updates, sync or background requests). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
