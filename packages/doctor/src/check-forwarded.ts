// Forwarded headers from a direct client: spoofed X-Forwarded-For, Forwarded and X-Forwarded-Host believed or not.
import { ask } from './http-request.js';
import type { Settings } from './options.js';
import type { Finding } from './types.js';

/** Documentation addresses (RFC 5737): a spoofed first hop, and the hop a proxy at the doctor's address would add. */
export const SPOOFED_IP = '203.0.113.7';
const NEXT_HOP_IP = '198.51.100.9';
const SPOOFED_HOST = 'spoofed.lbkit-doctor.example';

/** How the app treats the doctor's own address, learned from the whoami route. */
export interface PeerView {
  /** The doctor's address as the app sees it without forwarded headers. */
  readonly ip: string;
  /** True when the app takes one forwarded hop from the doctor's address (it is a trusted proxy). */
  readonly trusted: boolean;
}

interface Whoami {
  readonly ip?: unknown;
  readonly host?: unknown;
}

async function whoami(
  settings: Settings,
  path: string,
  headers: Record<string, string>,
): Promise<Whoami | undefined> {
  const answer = await ask(new URL(path, settings.base), {
    headers,
    timeoutMs: settings.requestTimeoutMs,
  }).catch(() => undefined);
  if (answer?.status !== 200) return undefined;
  try {
    const body = JSON.parse(answer.body) as unknown;
    return typeof body === 'object' && body !== null && 'ip' in body ? (body as Whoami) : undefined;
  } catch {
    return undefined;
  }
}

const spoofFix =
  'Trust only your balancer’s addresses (client-ip trust: the balancer’s CIDR, never every hop), and take the client from the right of the chain.';

/** The spoof checks, and what they tell about the doctor's address for the checks that follow. */
export async function checkForwarded(
  settings: Settings,
): Promise<{ findings: Finding[]; peer: PeerView | undefined }> {
  const path = settings.whoami;
  const skip = (message: string): { findings: Finding[]; peer: undefined } => ({
    findings: [
      {
        id: 'forwarded.spoof',
        status: 'skip',
        message,
        fix: 'Pass --whoami <path> of a route that answers the resolved client as JSON { ip, host }.',
      },
    ],
    peer: undefined,
  });
  if (!path) return skip('no whoami route given: spoofed forwarded headers not checked');
  const plain = await whoami(settings, path, {});
  if (!plain || typeof plain.ip !== 'string')
    return skip(`GET ${path} does not answer JSON with an ip: spoofed forwarded headers not checked`);
  const findings: Finding[] = [];
  const chain = `${SPOOFED_IP}, ${NEXT_HOP_IP}`;
  const byXff = await whoami(settings, path, { 'x-forwarded-for': chain });
  const xffIp = String(byXff?.ip ?? '');
  const trusted = xffIp === NEXT_HOP_IP;
  findings.push(
    xffIp.includes(SPOOFED_IP)
      ? {
          id: 'forwarded.x-forwarded-for',
          status: 'fail',
          message: `X-Forwarded-For: ${chain} from ${plain.ip} is believed: the app reports ${xffIp}`,
          fix: spoofFix,
        }
      : {
          id: 'forwarded.x-forwarded-for',
          status: 'pass',
          message: trusted
            ? `X-Forwarded-For: one hop taken from ${plain.ip} (a trusted proxy address), the spoofed first hop ignored; only the balancer should reach the app from there`
            : `X-Forwarded-For from ${plain.ip} ignored: the app reports ${xffIp || plain.ip}`,
        },
  );
  const forwarded = `for=${SPOOFED_IP}, for=${NEXT_HOP_IP}`;
  const byForwarded = await whoami(settings, path, { forwarded });
  const forwardedIp = String(byForwarded?.ip ?? '');
  findings.push(
    forwardedIp.includes(SPOOFED_IP)
      ? {
          id: 'forwarded.forwarded',
          status: 'fail',
          message: `Forwarded: ${forwarded} from ${plain.ip} is believed: the app reports ${forwardedIp}`,
          fix: spoofFix,
        }
      : {
          id: 'forwarded.forwarded',
          status: 'pass',
          message: `Forwarded: the spoofed first hop ignored (the app reports ${forwardedIp || plain.ip})`,
        },
  );
  const byHost = await whoami(settings, path, { 'x-forwarded-host': SPOOFED_HOST });
  const believedHost = byHost?.host === SPOOFED_HOST;
  findings.push(
    believedHost && !trusted
      ? {
          id: 'forwarded.x-forwarded-host',
          status: 'fail',
          message: `X-Forwarded-Host: ${SPOOFED_HOST} believed from ${plain.ip}, an address whose X-Forwarded-For is not`,
          fix: 'Take the host from X-Forwarded-Host only from trusted proxies (the same trust as the client address); links and redirects built from it can be poisoned.',
        }
      : {
          id: 'forwarded.x-forwarded-host',
          status: 'pass',
          message: believedHost
            ? `X-Forwarded-Host taken from ${plain.ip}, a trusted proxy address`
            : `X-Forwarded-Host from ${plain.ip} ignored`,
        },
  );
  return { findings, peer: { ip: plain.ip, trusted } };
}
