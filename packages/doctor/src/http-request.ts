// One bounded HTTP/1.1 request on its own connection, as a balancer's probe sends it.
import { request } from 'node:http';

/** What came back. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** Request options: method, extra headers and the timeout. */
export interface Ask {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly timeoutMs: number;
}

// Bodies beyond this are not needed to judge a probe or a metrics page.
const MAX_BODY = 256 * 1024;

/** Sends one request to `url` on a fresh connection (no agent) and reads up to 256 KiB of the body. */
export function ask(url: URL, { method = 'GET', headers = {}, timeoutMs }: Ask): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The header's value as one string (joined when repeated), or undefined. */
export function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
