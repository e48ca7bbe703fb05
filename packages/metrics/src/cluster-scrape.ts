// A worker's side of one scrape for the whole pool: answers the primary's collects, and asks it when scraped.
import cluster from 'node:cluster';
import { withTimeout } from '@lbkit/core/internal';
import { renderGauge } from './cluster-merge.js';
import { ASK, clusterMetricsMessage, HELLO, REPORT, SCOPE_HELP } from './cluster-messages.js';
import { type JsonRegistry, peerDirectory } from './cluster-peers.js';
import type { ClusterSetting } from './cluster-peers-options.js';
import { TEXT_CONTENT_TYPE } from './scrape-response.js';
import type { PromRegistry } from './types.js';

/** Time on top of the primary's deadline for its answer to come back over IPC. */
const ANSWER_SLACK_MS = 500;

/** What one scrape of this process answers, and how to stop listening. */
export interface WorkerScrape {
  collect(): Promise<{ readonly text: string; readonly contentType: string }>;
  close(): void;
}

/**
 * In a node:cluster worker (`cluster` on, the default): answers the primary's collects with the
 * registry's JSON, and once an aggregator in the primary has said so (`welcome`), a scrape asks it
 * for the whole pool. Without one (PM2's daemon as the primary, or no `aggregateClusterMetrics()`)
 * the scrape asks the peer directory when there is one (PM2, or `cluster: { peers: 'directory' }`:
 * see `peerDirectory()`); otherwise, or when the primary's answer is late, it answers for this worker
 * alone, saying so in `<prefix>scrape_scope{scope="worker",reason="no-aggregator"|"late"|"peers-unavailable"}`.
 * Outside a worker: the peer directory when asked for, else the registry's text.
 */
export function workerScrape(registry: PromRegistry, prefix: string, setting: ClusterSetting): WorkerScrape {
  const local = async () => ({ text: await registry.metrics(), contentType: registry.contentType });
  const json = registry as PromRegistry & Partial<JsonRegistry>;
  if (!setting.enabled || typeof json.getMetricsAsJSON !== 'function') {
    return { collect: local, close() {} };
  }
  const jsonRegistry = registry as PromRegistry & JsonRegistry;
  const peers = setting.peers ? peerDirectory(setting.peers, jsonRegistry, prefix) : undefined;
  // The label the peers know this worker by (PM2's pm_id), else node:cluster's id.
  const worker = setting.peers?.id ?? String(cluster.worker?.id ?? process.pid);
  const asks = new Map<number, (text: string | undefined) => void>();
  let primaryTimeoutMs: number | undefined;
  let next = 0;

  const alone = async (reason: 'no-aggregator' | 'late' | 'peers-unavailable') => {
    const { text, contentType } = await local();
    const scope = renderGauge(`${prefix}scrape_scope`, SCOPE_HELP, [
      [{ scope: 'worker', worker, reason }, 1],
    ]);
    // OpenMetrics ends with # EOF: the scope goes before it.
    const eof = text.endsWith('# EOF\n') ? '# EOF\n' : '';
    return { text: `${text.slice(0, text.length - eof.length)}${scope}${eof}`, contentType };
  };
  const withoutPrimary = async () => {
    if (!peers) return alone('no-aggregator');
    const text = await peers.gather();
    return text === undefined ? alone('peers-unavailable') : { text, contentType: TEXT_CONTENT_TYPE };
  };
  if (!cluster.isWorker || typeof process.send !== 'function') {
    return peers ? { collect: withoutPrimary, close: () => peers.close() } : { collect: local, close() {} };
  }

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
      if (primaryTimeoutMs === undefined || !process.connected) return withoutPrimary();
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
      peers?.close();
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
