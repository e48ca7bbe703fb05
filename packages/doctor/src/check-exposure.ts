// What a public caller reaches: dependency detail in probe and health answers, and /metrics.
import { type PeerView, SPOOFED_IP } from './check-forwarded.js';
import { ask } from './http-request.js';
import type { Settings } from './options.js';
import type { Finding } from './types.js';

const PRIVATE = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|::1$|f[cd][0-9a-f]{2}:|fe80:)/i;

/** Dependency detail: health+json checks or output, stack frames, driver error codes, connection strings. */
const DETAIL_TEXT =
  /\bat .+:\d+:\d+\)?|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|\b(redis|rediss|postgres|postgresql|mongodb|mysql|amqp):\/\//i;

function detailIn(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (typeof parsed === 'object' && parsed !== null) {
      for (const key of ['checks', 'details', 'output', 'stack', 'error']) {
        const value = parsed[key];
        if (
          value !== undefined &&
          value !== null &&
          !(typeof value === 'object' && Object.keys(value).length === 0)
        )
          return `"${key}"`;
      }
    }
  } catch {
    // Not JSON: the text patterns still apply.
  }
  return DETAIL_TEXT.exec(body)?.[0];
}

/**
 * How to look like a public caller: through X-Forwarded-For when the app takes a hop from the
 * doctor's address (the balancer's position), as the doctor itself when its address is public, or
 * not at all (a local or private caller may be privileged on purpose).
 */
function publicCaller(
  peer: PeerView | undefined,
): { headers: Record<string, string>; sure: boolean } | string {
  if (!peer) return { headers: { 'x-forwarded-for': SPOOFED_IP }, sure: false };
  if (peer.trusted) return { headers: { 'x-forwarded-for': SPOOFED_IP }, sure: true };
  if (!PRIVATE.test(peer.ip.replace(/^::ffff:/, ''))) return { headers: {}, sure: true };
  return `the app sees the doctor as ${peer.ip} (local or private) and takes no forwarded hop from it, so a public caller cannot be imitated from here`;
}

/** Detail leaked to public callers on the health paths, and /metrics reachable by them. */
export async function checkExposure(settings: Settings, peer: PeerView | undefined): Promise<Finding[]> {
  const caller = publicCaller(peer);
  const paths = [settings.live, settings.ready, settings.startup, settings.health].filter(
    (p): p is string => !!p,
  );
  if (typeof caller === 'string') {
    const fix = 'Run the doctor from a public address, or from the balancer’s address with --whoami.';
    const findings: Finding[] = [
      { id: 'exposure.details', status: 'skip', message: `detail leaks not checked: ${caller}`, fix },
    ];
    if (settings.metrics)
      findings.push({
        id: 'exposure.metrics',
        status: 'skip',
        message: `${settings.metrics} exposure not checked: ${caller}`,
        fix,
      });
    return findings;
  }
  const unsure = caller.sure
    ? ''
    : ' (without --whoami the doctor cannot tell whether its own address is privileged)';
  const leaks: string[] = [];
  for (const path of [...new Set(paths)]) {
    const answer = await ask(new URL(path, settings.base), {
      headers: caller.headers,
      timeoutMs: settings.requestTimeoutMs,
    }).catch(() => undefined);
    if (!answer || answer.status === 404) continue;
    const detail = detailIn(answer.body);
    if (detail) leaks.push(`${path} (${detail})`);
  }
  const findings: Finding[] = [
    leaks.length === 0
      ? {
          id: 'exposure.details',
          status: 'pass',
          message: `no dependency detail for a public caller on ${paths.join(', ')}`,
        }
      : {
          id: 'exposure.details',
          status: caller.sure ? 'fail' : 'warn',
          message: `dependency detail shown to a public caller: ${leaks.join(', ')}${unsure}`,
          fix: 'Show check detail only to trusted networks or with a token (lbkit health: trustedNetworks, allowDetails, token); public callers get the status.',
        },
  ];
  if (settings.metrics) {
    const answer = await ask(new URL(settings.metrics, settings.base), {
      headers: caller.headers,
      timeoutMs: settings.requestTimeoutMs,
    }).catch(() => undefined);
    const open = answer?.status === 200 && /^# (HELP|TYPE) /m.test(answer.body);
    findings.push(
      open
        ? {
            id: 'exposure.metrics',
            status: 'warn',
            message: `${settings.metrics} answers a public caller${unsure}`,
            fix: 'Serve metrics on a separate port or to trusted networks only, or make sure the balancer never routes this path.',
          }
        : {
            id: 'exposure.metrics',
            status: 'pass',
            message: `${settings.metrics} is not served to a public caller (${answer ? answer.status : 'no answer'})`,
          },
    );
  }
  return findings;
}
