// A worker's side of one scrape for the whole pool: answers the primary's collects, and asks it when scraped.
import cluster from 'node:cluster';
import { withTimeout } from '@lbkit/core/internal';
import { type MetricJSON, renderGauge } from './cluster-merge.js';
import { ASK, clusterMetricsMessage, HELLO, REPORT, SCOPE_HELP } from './cluster-messages.js';
import { TEXT_CONTENT_TYPE } from './scrape-response.js';
import type { PromRegistry } from './types.js';

/** Time on top of the primary's deadline for its answer to come back over IPC. */
const ANSWER_SLACK_MS = 500;

/** What one scrape of this process answers, and how to stop listening. */
export interface WorkerScrape {
  collect(): Promise<{ readonly text: string; readonly contentType: string }>;
  close(): void;
}

type JsonRegistry = PromRegistry & { getMetricsAsJSON(): Promise<MetricJSON[]> };

/**
 * In a node:cluster worker (`cluster` on, the default): answers the primary's collects with the
 * registry's JSON, and once an aggregator in the primary has said so (`welcome`), a scrape asks it
 * for the whole pool. Without one (PM2's daemon as the primary, or no `aggregateClusterMetrics()`),
 * or when its answer is late, the scrape answers for this worker alone, saying so in
 * `<prefix>scrape_scope{scope="worker",reason="no-aggregator"|"late"}`. Outside a worker: the registry's text.
 */
export function workerScrape(registry: PromRegistry, prefix: string, enabled: boolean): WorkerScrape {
  const local = async () => ({ text: await registry.metrics(), contentType: registry.contentType });
  const json = registry as Partial<JsonRegistry>;
  if (
    !enabled ||
    !cluster.isWorker ||
    typeof process.send !== 'function' ||
    typeof json.getMetricsAsJSON !== 'function'
  ) {
    return { collect: local, close() {} };
  }
  const jsonRegistry = registry as JsonRegistry;
  const worker = String(cluster.worker?.id ?? process.pid);
  const asks = new Map<number, (text: string | undefined) => void>();
  let primaryTimeoutMs: number | undefined;
  let next = 0;

  const alone = async (reason: 'no-aggregator' | 'late') => {
    const { text, contentType } = await local();
    const scope = renderGauge(`${prefix}scrape_scope`, SCOPE_HELP, [
      [{ scope: 'worker', worker, reason }, 1],
    ]);
    // OpenMetrics ends with # EOF: the scope goes before it.
    const eof = text.endsWith('# EOF\n') ? '# EOF\n' : '';
    return { text: `${text.slice(0, text.length - eof.length)}${scope}${eof}`, contentType };
  };

  const onMessage = (raw: unknown): void => {
    const message = clusterMetricsMessage(raw);
    if (!message) return;
    if (message.type === 'lbkit:metrics:welcome') {
      primaryTimeoutMs = message.timeoutMs;
    } else if (message.type === 'lbkit:metrics:bye') {
      primaryTimeoutMs = undefined;
    } else if (message.type === 'lbkit:metrics:collect') {
      jsonRegistry.getMetricsAsJSON().then(
        (metrics) => send({ type: REPORT, id: message.id, metrics }),
        () => send({ type: REPORT, id: message.id, metrics: [] }),
      );
    } else if (message.type === 'lbkit:metrics:answer') {
      asks.get(message.id)?.(message.text);
    }
  };
  process.on('message', onMessage);
  send({ type: HELLO });

  return {
    async collect() {
      if (primaryTimeoutMs === undefined || !process.connected) return alone('no-aggregator');
      const id = ++next;
      const answer = new Promise<string | undefined>((resolve) => asks.set(id, resolve));
      send({ type: ASK, id });
      const text = await withTimeout(answer, primaryTimeoutMs + ANSWER_SLACK_MS, undefined).finally(() =>
        asks.delete(id),
      );
      return text === undefined ? alone('late') : { text, contentType: TEXT_CONTENT_TYPE };
    },
    close() {
      process.off('message', onMessage);
      for (const resolve of asks.values()) resolve(undefined);
    },
  };

  function send(message: object): void {
    if (!process.connected) return;
    try {
      process.send?.(message, undefined, undefined, () => {
        // The primary went away; the scrape answers alone.
      });
    } catch {
      // The channel closed between the check and the send.
    }
  }
}
