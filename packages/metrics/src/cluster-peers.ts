// Peers without a primary (PM2 cluster mode): each worker listens on a unix socket in a private directory, and a scrape of one asks them all.
import { unlinkSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { withTimeout } from '@lbkit/core/internal';
import { type MetricJSON, mergeReports, renderGauge } from './cluster-merge.js';
import { COLLECT, clusterMetricsMessage, REPORT, SCOPE_HELP } from './cluster-messages.js';
import type { PeerSettings } from './cluster-peers-options.js';

/** Longest collect a peer's socket reads; anything longer is not this protocol. */
const MAX_REQUEST_BYTES = 1024;
/** How long a peer's socket serves one connection before dropping it. */
const SERVE_TIMEOUT_MS = 10_000;
/** Sockets read per scrape at most (the others are left out, never waited for). */
const MAX_PEERS = 256;
const ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** A registry that can give its metrics as JSON (prom-client's `Registry`). */
export interface JsonRegistry {
  getMetricsAsJSON(): Promise<MetricJSON[]>;
}

/** This worker's socket in the peer directory, and one scrape of every peer. */
export interface PeerDirectory {
  /** The merged exposition of this worker and every peer that answered in time; undefined when the directory cannot be used. */
  gather(): Promise<string | undefined>;
  /** Stops listening and removes this worker's socket. Idempotent. */
  close(): void;
}

type Outcome =
  | { readonly kind: 'report'; readonly metrics: readonly MetricJSON[] }
  | { readonly kind: 'stale' | 'gone' | 'late' | 'oversize' | 'failed' };

/**
 * Listens on `<dir>/<name>.<id>.<pid>.sock` (unref'd: it never keeps the process alive; removed on
 * `close()` and at exit) and answers a collect with `registry.getMetricsAsJSON()`. `gather()` asks
 * every other `<name>.*.sock` in the directory within `timeoutMs`, merges with `mergeReports()` and
 * reports each worker in `<prefix>scrape_worker_up`. A socket nobody listens on any more (a worker
 * killed without its exit handler) is removed and reported 0; an answer over `maxBytes` is refused.
 */
export function peerDirectory(settings: PeerSettings, registry: JsonRegistry, prefix: string): PeerDirectory {
  const { dir, name, id, timeoutMs, maxBytes, rules } = settings;
  const file = `${name}.${id}.${process.pid}.sock`;
  const path = join(dir, file);
  const served = new Set<Socket>();
  let unavailable = settings.unavailable;
  let closed = false;
  let next = 0;
  let server: Server | undefined;
  /** Set once this process bound `path`: only then is the file its own to remove. */
  let bound = false;

  const removeOwn = (): void => {
    if (!bound) return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  };

  const serve = (socket: Socket): void => {
    socket.unref();
    served.add(socket);
    socket.once('close', () => served.delete(socket));
    socket.on('error', () => {
      // The asking peer went away; nothing to answer.
    });
    socket.setTimeout(SERVE_TIMEOUT_MS, () => socket.destroy());
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end < 0) {
        if (buffered.length > MAX_REQUEST_BYTES) socket.destroy();
        return;
      }
      socket.off('data', onData);
      let message: ReturnType<typeof clusterMetricsMessage>;
      try {
        message = clusterMetricsMessage(JSON.parse(buffered.slice(0, end)));
      } catch {
        message = undefined;
      }
      if (message?.type !== COLLECT || typeof message.id !== 'string') {
        socket.destroy();
        return;
      }
      const reply = (metrics: readonly MetricJSON[]): void => {
        if (!socket.destroyed) socket.end(`${JSON.stringify({ type: REPORT, id: message.id, metrics })}\n`);
      };
      registry.getMetricsAsJSON().then(reply, () => reply([]));
    };
    socket.on('data', onData);
  };

  const listen = (retry: boolean): void => {
    const candidate = createServer(serve);
    candidate.maxConnections = 64;
    candidate.once('listening', () => {
      bound = true;
    });
    candidate.on('error', (error: NodeJS.ErrnoException) => {
      if (closed || bound) return;
      if (error.code === 'EADDRINUSE' && retry) {
        // A socket left by a dead process of the same pid: remove it if nobody answers on it.
        const cancels = new Set<() => void>();
        const timer = setTimeout(() => {
          for (const cancel of [...cancels]) cancel();
        }, timeoutMs);
        timer.unref();
        void ask(path, 'probe', MAX_REQUEST_BYTES, cancels).then((outcome) => {
          clearTimeout(timer);
          if (closed) return;
          if (outcome.kind === 'stale') {
            void unlink(path)
              .catch(() => {})
              .then(() => closed || listen(false));
          } else {
            unavailable = `${path} is in use`;
          }
        });
      } else {
        unavailable = `cannot listen on ${path} (${error.code ?? error.message})`;
      }
    });
    // exclusive: a node:cluster worker (PM2's too) binds its socket itself instead of through the primary.
    candidate.listen({ path, exclusive: true });
    candidate.unref();
    server = candidate;
  };

  if (unavailable === undefined) {
    listen(true);
    process.on('exit', removeOwn);
  }

  return {
    async gather() {
      if (unavailable !== undefined || closed) return undefined;
      const peers = (await readdir(dir).catch(() => [] as string[]))
        .filter((f) => f !== file && f.startsWith(`${name}.`) && f.endsWith('.sock'))
        .map((f) => ({ file: f, id: f.slice(name.length + 1, -'.sock'.length).split('.')[0] ?? '' }))
        .filter((peer) => ID.test(peer.id))
        .slice(0, MAX_PEERS);
      const scrape = `${process.pid}.${++next}`;
      const cancels = new Set<() => void>();
      const timer = setTimeout(() => {
        for (const cancel of [...cancels]) cancel();
      }, timeoutMs);
      timer.unref();
      const own = withTimeout(registry.getMetricsAsJSON(), timeoutMs, undefined).catch(() => undefined);
      const [mine, ...outcomes] = await Promise.all([
        own,
        ...peers.map((peer) => ask(join(dir, peer.file), scrape, maxBytes, cancels)),
      ]);
      clearTimeout(timer);
      const reports = new Map<string, readonly MetricJSON[]>();
      const up = new Map<string, number>([[id, mine ? 1 : 0]]);
      if (mine) reports.set(id, mine);
      peers.forEach((peer, i) => {
        const outcome = outcomes[i] as Outcome;
        if (outcome.kind === 'gone') return;
        if (outcome.kind === 'stale') void unlink(join(dir, peer.file)).catch(() => {});
        // Two sockets of one id: a worker and its replacement during a reload; the first answer counts.
        if (outcome.kind === 'report' && !reports.has(peer.id)) {
          reports.set(peer.id, outcome.metrics);
          up.set(peer.id, 1);
        } else if (!up.has(peer.id)) {
          up.set(peer.id, 0);
        }
      });
      const workers = [...up].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
      return (
        mergeReports(reports, rules) +
        renderGauge(
          `${prefix}scrape_worker_up`,
          'Whether each worker answered this scrape in time: 1 yes, 0 no (its series are left out).',
          workers.map(([worker, value]) => [{ [rules.workerLabel]: worker }, value] as const),
        ) +
        renderGauge(`${prefix}scrape_scope`, SCOPE_HELP, [[{ scope: 'cluster' }, 1]])
      );
    },
    close() {
      if (closed) return;
      closed = true;
      process.off('exit', removeOwn);
      for (const socket of served) socket.destroy();
      // Closing a listening unix socket server removes its file; removeOwn() covers one not listening.
      server?.close(() => {});
      removeOwn();
    },
  };
}

/** Asks the peer on `path` for its registry; `cancels` ends it (the scrape's deadline). */
function ask(path: string, id: string, maxBytes: number, cancels: Set<() => void>): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    let size = 0;
    let connected = false;
    let done = false;
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      cancels.delete(cancel);
      socket.destroy();
      resolve(outcome);
    };
    const cancel = (): void => finish({ kind: 'late' });
    cancels.add(cancel);
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ type: COLLECT, id })}\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish({ kind: 'oversize' });
      chunks.push(chunk);
    });
    socket.on('end', () => finish(report(Buffer.concat(chunks).toString('utf8'), id)));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (connected) return finish({ kind: 'failed' });
      if (error.code === 'ECONNREFUSED') return finish({ kind: 'stale' });
      finish({ kind: error.code === 'ENOENT' ? 'gone' : 'failed' });
    });
    socket.on('close', () => finish({ kind: 'failed' }));
  });
}

function report(text: string, id: string): Outcome {
  try {
    const message = clusterMetricsMessage(JSON.parse(text));
    if (message?.type === REPORT && message.id === id && isMetricList(message.metrics)) {
      return { kind: 'report', metrics: message.metrics };
    }
  } catch {
    // Not this protocol.
  }
  return { kind: 'failed' };
}

/** prom-client's `getMetricsAsJSON()` shape, as far as the merge reads it (a peer may run another version). */
function isMetricList(metrics: unknown): metrics is readonly MetricJSON[] {
  return (
    Array.isArray(metrics) &&
    metrics.every(
      (m: Partial<MetricJSON> | null) =>
        typeof m?.name === 'string' &&
        typeof m.help === 'string' &&
        typeof m.type === 'string' &&
        Array.isArray(m.values) &&
        m.values.every((v: unknown) => typeof v === 'object' && v !== null),
    )
  );
}
