// gracefulShutdown from @lbkit/express on the server app.listen() returns.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { isLbkitError, Lifecycle } from '@lbkit/core';
import { gracefulShutdown } from '@lbkit/express';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { expressVersions } from './express-versions.js';

describe.each(expressVersions)('gracefulShutdown for Express on %s', (_version, express) => {
  it("drains an in-flight request of app.listen()'s server and stops the lifecycle", async () => {
    const app = express();
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.json({ done: true }), 300);
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const lifecycle = new Lifecycle();
    const shutdown = gracefulShutdown(server, { lifecycle, signals: [], ipc: false, exit: false });
    const slow = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`);
    await expect.poll(() => lifecycle.inFlight.requests).toBe(1);
    const result = await shutdown.shutdown('deploy');
    const response = await slow;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    expect(await response.body.json()).toEqual({ done: true });
    expect(result.exitCode).toBe(0);
    expect(lifecycle.state).toBe('stopped');
    expect(server.listening).toBe(false);
  });

  it('refuses the Express app itself with a hint to pass the server', () => {
    const app = express();
    let error: unknown;
    try {
      gracefulShutdown(app as never);
    } catch (caught) {
      error = caught;
    }
    expect(isLbkitError(error, 'LBKIT_SHUTDOWN_SERVER_INVALID')).toBe(true);
    expect(String(error)).toContain('app.listen()');
  });
});
