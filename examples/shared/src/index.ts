// Public entry of the demo's shared pieces: re-exports only.
export { connectBackends, type DemoBackends } from './backends.js';
export { type DemoConfig, readConfig } from './config.js';
export { localCallersOnly } from './health-details.js';
export type { DemoAppOptions, DemoHealthOptions } from './options.js';
export { serveUntilSignal, shutdownOptions } from './serve.js';
export { burnCpu, MAX_MS, parseMs, wait } from './work.js';
