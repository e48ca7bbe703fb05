// Starts one Fastify demo instance in the foreground, as shared/CONTRACT.md describes.

import { Lifecycle } from '@lbkit/core';
import { acceptProxyProtocol, shutdownPlugin } from '@lbkit/fastify';
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
const { app } = await createApp({ config, lifecycle, health: { extraChecks: profileChecks(config) } });
// Over Fastify's own keepAliveTimeout (72 s), which it set when it created the server.
applyProfileTimeouts(app.server, config);
const webSockets = serveEchoWebSockets(app.server, { lifecycle, instanceId: config.instanceId });
// Fastify's close (and with it the app's onClose hooks) is the plugin's last cleanup step.
await app.register(shutdownPlugin, shutdownOptions({ config, lifecycle, webSockets }));
app.lbkitMetrics.observe({ shutdown: app.shutdown });
if (config.ipSource === 'proxy-protocol') acceptProxyProtocol(app.server, { peers: config.trust });
await app.listen({ port: config.port, host: config.host });
await serveUntilSignal({ server: app.server, lifecycle, config });
