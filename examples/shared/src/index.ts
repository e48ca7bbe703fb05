// Public entry of the demo's shared pieces: re-exports only.
export { connectBackends, type DemoBackends } from './backends.js';
export { applyProfileTimeouts, profileChecks } from './behind.js';
export { type DemoConfig, type HostPort, readConfig } from './config.js';
export { localCallersOnly } from './health-details.js';
export type { DemoAppOptions, DemoHealthOptions } from './options.js';
export { DEMO_ROUTES, type DemoRoute, prefersHtml, routeIndex, routeIndexHtml } from './route-index.js';
export { serveUntilSignal, shutdownOptions } from './serve.js';
export { serveEchoWebSockets, WEB_SOCKET_PATH } from './web-socket.js';
export { burnCpu, MAX_MS, parseMs, wait } from './work.js';
