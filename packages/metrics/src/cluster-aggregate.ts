// aggregateClusterMetrics(): in the node:cluster primary, one scrape answered for every worker, within a deadline.
import cluster, { type Worker } from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LbkitError } from '@lbkit/core';
import { OptionReader, show } from '@lbkit/core/internal';
import { type MetricJSON, mergeReports, renderGauge } from './cluster-merge.js';
import { ANSWER, BYE, COLLECT, clusterMetricsMessage, SCOPE_HELP, WELCOME } from './cluster-messages.js';
import { answerScrape, TEXT_CONTENT_TYPE } from './scrape-response.js';
import type { ClusterMetricsAggregator, ClusterMetricsOptions } from './types.js';

const OPTIONS = ['timeoutMs', 'prefix', 'summedGauges', 'workerLabel'] as const;
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,63}$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

interface Gathering {
  readonly reports: Map<string, readonly MetricJSON[]>;
  readonly waiting: Set<string>;
  readonly done: () => void;
}

/**
 * Call in the primary, beside `clusterPrimary()` (or your own `cluster.fork()` calls): a scrape of
 * any worker whose metrics were made by `createMetrics()` is answered for every worker, and
 * `respond()` answers a scrape on a port of the primary's own. The primary asks every connected
 * worker over IPC, waits at most `timeoutMs`, merges (counters and histograms summed, gauges
 * labelled per worker) and reports each worker's answer in `lbkit_scrape_worker_up{worker}`: a
 * worker that does not answer in time is reported 0 and left out, never waited for. Listens on
 * `cluster.on('message')` only; `close()` stops.
 */
export function aggregateClusterMetrics(options: ClusterMetricsOptions = {}): ClusterMetricsAggregator {
  const reader = new OptionReader<ClusterMetricsOptions>(
    'METRICS',
    'aggregateClusterMetrics()',
    options,
    OPTIONS,
  );
  const timeoutMs = reader.milliseconds('timeoutMs', 1000, 1);
  const prefix = reader.string('prefix', 'lbkit_', 64);
  if (!PREFIX.test(prefix)) {
    throw reader.invalid(
      `prefix ${show(prefix)} is not a metric name prefix`,
      'Use letters, digits, _ and :, not starting with a digit (for example lbkit_).',
      'LBKIT_METRICS_PREFIX_INVALID',
    );
  }
  const workerLabel = reader.string('workerLabel', 'worker', 64);
  if (!LABEL.test(workerLabel)) {
    throw reader.invalid(
      `workerLabel ${show(workerLabel)} is not a label name`,
      "Use letters, digits and _, not starting with a digit (for example 'worker').",
    );
  }
  const summed: unknown = reader.get('summedGauges') ?? [];
  if (!Array.isArray(summed) || summed.some((name) => typeof name !== 'string')) {
    throw reader.invalid(
      `summedGauges must be an array of metric names, got ${show(summed)}`,
      "For example summedGauges: ['lbkit_requests_in_flight'], or leave it out.",
    );
  }
  if (!cluster.isPrimary) {
    throw new LbkitError(
      'LBKIT_METRICS_CLUSTER_NOT_PRIMARY',
      'aggregateClusterMetrics() runs in the node:cluster primary only',
      {
        hint: 'Call it where you call clusterPrimary() (cluster.isPrimary); workers need only createMetrics().',
      },
    );
  }
  const rules = { workerLabel, summedGauges: new Set(summed as string[]) };
  const token = `${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  const gatherings = new Map<string, Gathering>();
  let next = 0;
  let closed = false;

  const gather = (): Promise<string> => {
    const workers = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => w?.isConnected() === true,
    );
    const id = `${token}.${++next}`;
    return new Promise<string>((resolve) => {
      const reports = new Map<string, readonly MetricJSON[]>();
      const waiting = new Set(workers.map((w) => String(w.id)));
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (!gatherings.delete(id)) return;
        clearTimeout(timer);
        const up = workers.map(
          (w) => [{ [workerLabel]: String(w.id) }, reports.has(String(w.id)) ? 1 : 0] as const,
        );
        resolve(
          mergeReports(reports, rules) +
            renderGauge(
              `${prefix}scrape_worker_up`,
              'Whether each worker answered this scrape in time: 1 yes, 0 no (its series are left out).',
              up,
            ) +
            renderGauge(`${prefix}scrape_scope`, SCOPE_HELP, [[{ scope: 'cluster' }, 1]]),
        );
      };
      gatherings.set(id, { reports, waiting, done });
      if (waiting.size === 0) return done();
      timer = setTimeout(done, timeoutMs);
      timer.unref();
      for (const worker of workers) send(worker, { type: COLLECT, id });
    });
  };

  const onMessage = (worker: Worker, raw: unknown): void => {
    const message = clusterMetricsMessage(raw);
    if (!message) return;
    if (message.type === 'lbkit:metrics:hello') {
      send(worker, { type: WELCOME, timeoutMs });
    } else if (message.type === 'lbkit:metrics:ask') {
      void gather().then((text) => {
        if (worker.isConnected()) send(worker, { type: ANSWER, id: message.id, text });
      });
    } else if (message.type === 'lbkit:metrics:report') {
      const gathering = gatherings.get(message.id);
      const key = String(worker.id);
      if (!gathering?.waiting.delete(key)) return;
      gathering.reports.set(key, Array.isArray(message.metrics) ? message.metrics : []);
      if (gathering.waiting.size === 0) gathering.done();
    }
  };
  cluster.on('message', onMessage);
  // Workers that started before the aggregator said hello to nobody.
  for (const worker of Object.values(cluster.workers ?? {})) {
    if (worker?.isConnected()) send(worker, { type: WELCOME, timeoutMs });
  }

  return {
    contentType: TEXT_CONTENT_TYPE,
    metrics: () => (closed ? Promise.resolve('') : gather()),
    respond(req: IncomingMessage, res: ServerResponse) {
      answerScrape(req, res, gather, TEXT_CONTENT_TYPE);
    },
    close() {
      if (closed) return;
      closed = true;
      cluster.off('message', onMessage);
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker?.isConnected()) send(worker, { type: BYE });
      }
      for (const gathering of [...gatherings.values()]) gathering.done();
    },
  };
}

function send(worker: Worker, message: object): void {
  try {
    worker.send(message, () => {
      // A worker that exits meanwhile cannot take it; the deadline covers it.
    });
  } catch {
    // The channel closed between the check and the send.
  }
}
