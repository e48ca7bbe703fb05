// Types of rolling-restart-results.mjs for the TypeScript e2e test.
import type { RollingRestartResult } from './rolling-restart.mjs';

/** Markdown table of results keyed by run name. */
export function rollingRestartTable(results: Record<string, RollingRestartResult>): string;
/** Writes the 'rolling-restart' section of bench/RESULTS.md. */
export function writeRollingRestartSection(results: Record<string, RollingRestartResult>): void;
