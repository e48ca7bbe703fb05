// Starts one Fastify demo instance in the foreground, as shared/CONTRACT.md describes.

import { Lifecycle } from '@lbkit/core';
import { acceptProxyProtocol } from '@lbkit/fastify';
import { readConfig, serveUntilSignal } from '@lbkit-examples/shared';
import { createApp } from './app.js';

const config = readConfig();
const lifecycle = new Lifecycle();
const { app, close } = await createApp({ config, lifecycle });
if (config.ipSource === 'proxy-protocol') acceptProxyProtocol(app.server, { peers: config.trust });
await app.listen({ port: config.port, host: config.host });
await serveUntilSignal({ server: app.server, lifecycle, config, close });
