// A tiny HTTP client for the health tests: fresh connection per request, optional local (peer) address.

import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:http';

/** What a test needs from a response. */
export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body, or undefined when empty. */
  readonly json: unknown;
}

/** Sends one request; `localAddress` (e.g. 127.0.0.2) makes the server see a different peer. */
export function fetchHealth(
  url: string,
  options: { method?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = /json/.test(String(res.headers['content-type']));
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: isJson && text ? JSON.parse(text) : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
