// Overlapping-request scenarios on one session, shared by the lbkit and connect-redis concurrency tests.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Answer, Browser } from './harness.js';

/**
 * Two tabs of one session: the slow request sets `a` after 300 ms, the fast one sets `b` while the
 * slow one waits. Returns the session data read afterwards.
 */
export async function differentKeysOverlap(browser: Browser): Promise<Record<string, unknown>> {
  await browser.post('/write/seed', 0);
  const slow = browser.clone().post('/write/a?ms=300', 1);
  await sleep(50);
  const fast = await browser.clone().post('/write/b', 2);
  if (fast.status !== 200) throw new Error(`fast request answered ${fast.status}`);
  const slowAnswer = await slow;
  if (slowAnswer.status !== 200) throw new Error(`slow request answered ${slowAnswer.status}`);
  return (await browser.get('/read')).body.data as Record<string, unknown>;
}

/** Both requests change `x` and save explicitly; the slow one saves last. Returns both answers. */
export async function sameKeyOverlap(
  browser: Browser,
): Promise<{ slow: Answer; fast: Answer; data: unknown }> {
  await browser.post('/write/seed', 0);
  const slowAnswer = browser.clone().post('/write/x?ms=300&save=1', 'slow');
  await sleep(50);
  const fast = await browser.clone().post('/write/x?save=1', 'fast');
  const slow = await slowAnswer;
  const data = (await browser.get('/read')).body.data;
  return { slow, fast, data };
}

/**
 * A slow request (writes `y` after 300 ms) runs while the user logs out. Returns whether the old
 * session id still has data afterwards, as read with the old cookie.
 */
export async function logoutDuringSlowRequest(browser: Browser): Promise<{ oldId: string; data: unknown }> {
  await browser.post('/write/user', 'ada');
  const oldId = browser.sessionId;
  const slow = browser.clone().post('/write/y?ms=300', 'late');
  await sleep(50);
  const logout = await browser.clone().post('/destroy');
  if (logout.status !== 200) throw new Error(`logout answered ${logout.status}`);
  await slow;
  const stale = browser.clone();
  stale.cookie = browser.cookie;
  const data = (await stale.get('/read')).body.data;
  return { oldId, data };
}
