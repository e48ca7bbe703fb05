// The IPC messages between a worker's scrape and the primary's aggregator: namespaced, so other listeners skip them.
import type { MetricJSON } from './cluster-merge.js';

/** Worker → primary, when its metrics start: is an aggregator there? */
export const HELLO = 'lbkit:metrics:hello';
/** Primary → worker: an aggregator is there, and gathers within `timeoutMs`. */
export const WELCOME = 'lbkit:metrics:welcome';
/** Primary → worker: the aggregator closed; answer scrapes alone from now on. */
export const BYE = 'lbkit:metrics:bye';
/** Worker → primary: a scrape reached me; answer for every worker. */
export const ASK = 'lbkit:metrics:ask';
/** Primary → worker: send your registry as JSON. */
export const COLLECT = 'lbkit:metrics:collect';
/** Worker → primary: my registry, for that collect. */
export const REPORT = 'lbkit:metrics:report';
/** Primary → worker: the merged exposition, for that ask. */
export const ANSWER = 'lbkit:metrics:answer';

/** Every message of this protocol. */
export type ClusterMetricsMessage =
  | { readonly type: typeof HELLO }
  | { readonly type: typeof WELCOME; readonly timeoutMs: number }
  | { readonly type: typeof BYE }
  | { readonly type: typeof ASK; readonly id: number }
  | { readonly type: typeof COLLECT; readonly id: string }
  | { readonly type: typeof REPORT; readonly id: string; readonly metrics: readonly MetricJSON[] }
  | { readonly type: typeof ANSWER; readonly id: number; readonly text: string };

/** HELP of `<prefix>scrape_scope`, written by the primary's answer and by a worker answering alone. */
export const SCOPE_HELP = 'What this scrape covers: cluster (every worker) or worker (only the one scraped).';

const TYPES = new Set<string>([HELLO, WELCOME, BYE, ASK, COLLECT, REPORT, ANSWER]);

/** The message, when it is one of this protocol. */
export function clusterMetricsMessage(message: unknown): ClusterMetricsMessage | undefined {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && TYPES.has(type) ? (message as ClusterMetricsMessage) : undefined;
}
