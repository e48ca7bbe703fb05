// Public entry of the demo's shared pieces: re-exports only.
export { type DemoConfig, readConfig } from './config.js';
export { localCallersOnly } from './health-details.js';
export { serveUntilSignal, shutdownOptions } from './serve.js';
export { burnCpu, MAX_MS, parseMs, wait } from './work.js';
