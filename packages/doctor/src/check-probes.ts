// Probe paths as a balancer's health check sees them: status code, content type, HEAD, Retry-After on 503.
import { type Answer, ask, header } from './http-request.js';
import type { Settings } from './options.js';
import type { Finding } from './types.js';

const JSON_TYPE = /^application\/(health\+)?json\b/i;

/** Findings of one 503 answer: a balancer or client backing off needs Retry-After (RFC 9110 §15.6.4). */
export function retryAfterFinding(id: string, path: string, answer: Answer): Finding {
  const value = header(answer, 'retry-after');
  // Seconds or an HTTP-date, both allowed by RFC 9110 §10.2.3.
  if (value !== undefined && (/^\d+$/.test(value.trim()) || !Number.isNaN(Date.parse(value))))
    return { id, status: 'pass', message: `503 on ${path} carries Retry-After: ${value}` };
  return {
    id,
    status: 'fail',
    message: `503 on ${path} has ${value === undefined ? 'no' : `an unreadable (${JSON.stringify(value)})`} Retry-After`,
    fix: 'Send Retry-After (seconds or an HTTP-date) with every 503, so clients and retrying balancers back off (lbkit health and shedding do).',
  };
}

async function checkProbe(
  settings: Settings,
  name: string,
  path: string,
  optional: boolean,
): Promise<Finding[]> {
  const url = new URL(path, settings.base);
  const id = `probe.${name}`;
  let get: Answer;
  try {
    get = await ask(url, { timeoutMs: settings.requestTimeoutMs });
  } catch (error) {
    return [
      {
        id: `${id}.status`,
        status: 'fail',
        message: `GET ${path}: ${(error as Error).message}`,
        fix: 'Check the URL and that the instance is listening.',
      },
    ];
  }
  if (get.status === 404 && optional) {
    return [
      {
        id: `${id}.status`,
        status: 'skip',
        message: `no ${name} probe at ${path} (404)`,
        fix: `Pass --${name} <path> if it lives elsewhere.`,
      },
    ];
  }
  const findings: Finding[] = [];
  if (get.status === 200) findings.push({ id: `${id}.status`, status: 'pass', message: `GET ${path} → 200` });
  else if (get.status === 503 && name === 'ready')
    findings.push({
      id: `${id}.status`,
      status: 'warn',
      message: `GET ${path} → 503: the balancer keeps this instance out of the pool`,
      fix: 'Expected while starting or draining; otherwise see the failing check in the readiness body.',
    });
  else
    findings.push({
      id: `${id}.status`,
      status: 'fail',
      message: `GET ${path} → ${get.status}`,
      fix:
        get.status >= 300 && get.status < 400
          ? 'Answer 200 on the probe path itself: balancers do not follow redirects (an ALB matcher wants 200).'
          : `Serve the ${name} probe at ${path} with 200 (or pass --${name} <path>).`,
    });
  if (get.status === 503) findings.push(retryAfterFinding(`${id}.retry-after`, path, get));
  const type = header(get, 'content-type') ?? '';
  if (JSON_TYPE.test(type))
    findings.push({ id: `${id}.content-type`, status: 'pass', message: `${path} is ${type}` });
  else
    findings.push({
      id: `${id}.content-type`,
      status: /html/i.test(type) ? 'fail' : 'warn',
      message: `${path} is ${type ? JSON.stringify(type) : 'untyped'}${/html/i.test(type) ? ': a page, not a probe (a catch-all route?)' : ''}`,
      fix: 'Answer probes as application/health+json, so the status field is readable and no page hides a failure.',
    });
  findings.push(await checkHead(settings, id, path, url, get));
  return findings;
}

// Some balancers and monitors probe with HEAD; a framework that routes GET only answers 404 or 405.
async function checkHead(
  settings: Settings,
  id: string,
  path: string,
  url: URL,
  get: Answer,
): Promise<Finding> {
  try {
    const head = await ask(url, { method: 'HEAD', timeoutMs: settings.requestTimeoutMs });
    if (head.status === get.status)
      return { id: `${id}.head`, status: 'pass', message: `HEAD ${path} → ${head.status}, as GET` };
    return {
      id: `${id}.head`,
      status: 'fail',
      message: `HEAD ${path} → ${head.status}, GET → ${get.status}`,
      fix: 'Answer HEAD on probe paths like GET without the body.',
    };
  } catch (error) {
    return {
      id: `${id}.head`,
      status: 'fail',
      message: `HEAD ${path}: ${(error as Error).message}`,
      fix: 'Answer HEAD on probe paths like GET without the body.',
    };
  }
}

/** Liveness, readiness and (when present) startup. */
export async function checkProbes(settings: Settings): Promise<Finding[]> {
  const findings = [
    ...(await checkProbe(settings, 'live', settings.live, false)),
    ...(await checkProbe(settings, 'ready', settings.ready, false)),
  ];
  if (settings.startup) findings.push(...(await checkProbe(settings, 'startup', settings.startup, true)));
  return findings;
}
