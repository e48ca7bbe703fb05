// applyServerTimeouts(): a profile's keep-alive, headers and request timeouts set on a node:http or node:https server.
import { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { LbkitError } from '@lbkit/core';
import type { ProfileSettings, ServerTimeouts } from './types.js';

/**
 * Sets `keepAliveTimeout`, `headersTimeout` and `requestTimeout` of `server` from `settings` (a
 * resolved profile, or its `server` part). Node reads them per socket and on its periodic check, so
 * a server that already listens picks them up for new and idle connections.
 */
export function applyServerTimeouts(
  server: HttpServer | HttpsServer,
  settings: ProfileSettings | ServerTimeouts,
): void {
  const given: unknown = server;
  if (!(given instanceof HttpServer) && !(given instanceof HttpsServer)) {
    throw new LbkitError(
      'LBKIT_PROFILES_SERVER_INVALID',
      'applyServerTimeouts() needs a node:http or node:https server',
      {
        hint: 'Pass the server app.listen() returns, or fastify.server.',
      },
    );
  }
  const timeouts = 'server' in settings ? settings.server : settings;
  // requestTimeout first: Node wants headersTimeout ≤ requestTimeout at every step.
  server.requestTimeout = timeouts.requestTimeout;
  server.headersTimeout = timeouts.headersTimeout;
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
}
