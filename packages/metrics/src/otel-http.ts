// HTTP server metrics of the OpenTelemetry semantic conventions: request duration and active requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RouteBound } from './route-bound.js';
import type { OtelAttributes, OtelMeter } from './types.js';

/** The advised buckets of `http.server.request.duration`, in seconds (semantic conventions, HTTP metrics). */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

// The methods of RFC 9110 and PATCH (RFC 5789); any other is `_OTHER`, keeping the attribute bounded.
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/** `http.request.method` as the conventions want it: the method if known (case-sensitive), else `_OTHER`. */
export function methodAttribute(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** Records one request at a time; returns the `track()` of `createOtelMetrics()`. */
export function httpInstruments(
  meter: OtelMeter,
  routes: RouteBound,
  isClosed: () => boolean,
): (req: IncomingMessage, res: ServerResponse, route?: () => string | undefined) => void {
  const duration = meter.createHistogram('http.server.request.duration', {
    description: 'Duration of HTTP server requests.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...HTTP_DURATION_BUCKETS] },
  });
  const active = meter.createUpDownCounter('http.server.active_requests', {
    description: 'Number of active HTTP server requests.',
    unit: '{request}',
  });
  const tracked = new WeakSet<IncomingMessage>();
  return function track(req, res, route) {
    if (isClosed() || tracked.has(req)) return;
    tracked.add(req);
    const started = process.hrtime.bigint();
    const base: OtelAttributes = {
      'http.request.method': methodAttribute(req.method),
      'url.scheme': (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http',
    };
    active.add(1, base);
    let ended = false;
    const end = (finished: boolean): void => {
      if (ended) return;
      ended = true;
      res.off('finish', onFinish);
      res.off('close', onClose);
      active.add(-1, base);
      const attributes: Record<string, string | number> = {
        ...(base as Record<string, string>),
        // The conventions write HTTP/2 as "2"; Node reports "2.0".
        'network.protocol.version': req.httpVersion === '2.0' ? '2' : req.httpVersion,
      };
      const template = routes.name(safeRoute(route));
      if (template !== undefined) attributes['http.route'] = template;
      if (res.headersSent) {
        attributes['http.response.status_code'] = res.statusCode;
        if (res.statusCode >= 500) attributes['error.type'] = String(res.statusCode);
      }
      // The connection closed before the response was complete: no status reached the client.
      if (!finished) attributes['error.type'] = 'aborted';
      duration.record(Number(process.hrtime.bigint() - started) / 1e9, attributes);
    };
    // 'finish' when the response was handed over whole (node:http and the HTTP/2 compatibility API alike).
    const onFinish = (): void => end(true);
    const onClose = (): void => end(false);
    res.on('finish', onFinish);
    res.on('close', onClose);
  };
}

/** The route template the framework matched; a throwing or non-string getter leaves the attribute out. */
function safeRoute(route: (() => string | undefined) | undefined): string | undefined {
  try {
    const value = route?.();
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
