// GET / for both demo apps: the routes of shared/CONTRACT.md, as JSON or as a small HTML page.

/** One route of the demo app. */
export interface DemoRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly description: string;
}

/** The demo's routes, in CONTRACT.md's order. */
export const DEMO_ROUTES: readonly DemoRoute[] = [
  { method: 'GET', path: '/health/live', description: 'liveness probe (application/health+json)' },
  { method: 'GET', path: '/health/ready', description: 'readiness probe: 503 from the start of a drain' },
  { method: 'GET', path: '/health/startup', description: 'startup probe' },
  { method: 'GET', path: '/health', description: 'every check, with details for callers on this host' },
  { method: 'GET', path: '/whoami', description: 'client ip, proto and host as lbkit resolved them' },
  { method: 'GET', path: '/session', description: 'increments views in the session' },
  { method: 'POST', path: '/session/:key', description: 'stores the JSON body under key in the session' },
  { method: 'GET', path: '/slow?ms=N', description: 'answers after N ms' },
  { method: 'GET', path: '/work?ms=N', description: 'burns N ms of CPU, then answers' },
  { method: 'GET', path: '/metrics', description: 'Prometheus text format' },
  { method: 'GET', path: '/ws', description: 'WebSocket: echoes every text message back' },
  { method: 'GET', path: '/', description: 'this index (JSON, or HTML when the client prefers it)' },
];

/** The JSON answer of `GET /`. */
export function routeIndex(instanceId: string): { instance: string; routes: readonly DemoRoute[] } {
  return { instance: instanceId, routes: DEMO_ROUTES };
}

/** Quality of `type` in an Accept header: the most specific matching range wins (RFC 9110 §12.5.1). */
function quality(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const q = params.find((p) => p.startsWith('q='));
    best = { specificity, q: q ? Number(q.slice(2)) || 0 : 1 };
  }
  return best.q;
}

/** True when the client ranks text/html above application/json; JSON wins ties and a missing header. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  return quality(accept, 'text/html') > quality(accept, 'application/json');
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML answer of `GET /`: the same routes as a table, GET routes without parameters as links. */
export function routeIndexHtml(instanceId: string): string {
  const rows = DEMO_ROUTES.map(({ method, path, description }) => {
    const linked = method === 'GET' && !path.includes('?') && path !== '/ws';
    const cell = linked ? `<a href="${path}">${path}</a>` : escapeHtml(path);
    return `<tr><td>${method}</td><td><code>${cell}</code></td><td>${escapeHtml(description)}</td></tr>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lbkit demo — ${escapeHtml(instanceId)}</title></head>
<body><h1>lbkit demo</h1><p>instance <strong>${escapeHtml(instanceId)}</strong></p>
<table><thead><tr><th>method</th><th>route</th><th>answer</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
