// Starts one Express demo instance in the foreground, as shared/CONTRACT.md describes.

import { Lifecycle } from '@lbkit/core';
import { acceptProxyProtocol, gracefulShutdown } from '@lbkit/express';
import {
  applyProfileTimeouts,
  profileChecks,
  readConfig,
  serveEchoWebSockets,
  serveUntilSignal,
  shutdownOptions,
} from '@lbkit-examples/shared';
import { createApp } from './app.js';

const config = readConfig();
const lifecycle = new Lifecycle();
const { app, close, metrics } = await createApp({
  config,
  lifecycle,
  health: { extraChecks: profileChecks(config) },
});
const server = app.listen(config.port, config.host);
applyProfileTimeouts(server, config);
// Same tick as listen(): no connection can be accepted before the PROXY reader is in place.
if (config.ipSource === 'proxy-protocol') acceptProxyProtocol(server, { peers: config.trust });
const webSockets = serveEchoWebSockets(server, { lifecycle, instanceId: config.instanceId });
const shutdown = gracefulShutdown(server, shutdownOptions({ config, lifecycle, close, webSockets }));
metrics.observe({ shutdown });
await serveUntilSignal({ server, lifecycle, config });
