// Answers one scrape on a node:http response: GET and HEAD only, never after the response went away.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Prometheus text format 0.0.4, what a merged exposition is written in. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** 200 with `collect()`'s text for GET (headers only for HEAD), 405 for other methods, 500 if it fails. */
export function answerScrape(
  req: IncomingMessage,
  res: ServerResponse,
  collect: () => Promise<string | { readonly text: string; readonly contentType: string }>,
  contentType: string,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
    res.end();
    return;
  }
  collect().then(
    (answer) => {
      if (res.headersSent || res.destroyed) return;
      const text = typeof answer === 'string' ? answer : answer.text;
      res.writeHead(200, {
        'content-type': typeof answer === 'string' ? contentType : answer.contentType,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const text = `collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`;
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(text);
    },
  );
}
