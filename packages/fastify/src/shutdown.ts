// Fastify plugin of @lbkit/shutdown: drains fastify.server, lets Fastify close it once, runs its onClose hooks as cleanup.
import { type GracefulShutdownOptions, gracefulShutdown, type Shutdown } from '@lbkit/shutdown';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The graceful shutdown of this instance (from @lbkit/fastify's shutdownPlugin). */
    shutdown: Shutdown;
  }
}

/** Options of {@link shutdownPlugin}: those of `gracefulShutdown()`; the plugin decides how the listener closes. */
export type FastifyShutdownOptions = Omit<GracefulShutdownOptions, 'stopAccepting'>;

async function lbkitShutdown(fastify: FastifyInstance, registered: FastifyShutdownOptions): Promise<void> {
  const options = readPluginOptions<object>('shutdownPlugin', registered, [], true)
    .rest as FastifyShutdownOptions;
  // Who started fastify.close(): us (after the drain delay) or the application (directly).
  let ourClose: Promise<unknown> | undefined;
  let closeStarted = false;
  const shutdown = gracefulShutdown(fastify.server, {
    ...options,
    // Fastify's close() closes the server (once) and, when its connections are gone, runs the
    // onClose hooks. Called when the delay ends, so Fastify's `closing` flag, and with it
    // return503OnClosing, only applies once the balancer has stopped sending.
    stopAccepting: () => {
      if (closeStarted) return;
      closeStarted = true;
      ourClose = fastify.close();
      return ourClose;
    },
    hooks: [
      {
        name: 'fastify.close',
        // In the direct path Fastify is running its onClose hooks itself; waiting here would deadlock.
        run: () => ourClose,
      },
      ...(options.hooks ?? []),
    ],
  });
  fastify.decorate('shutdown', shutdown);

  fastify.addHook('preClose', async function beginDrainOnClose() {
    if (closeStarted) return;
    // The application called fastify.close(): drain now, without the delay, and never exit.
    closeStarted = true;
    void shutdown.shutdown('fastify.close', { skipDelay: true });
  });
  fastify.addHook('onClose', async function finishShutdown() {
    // When we started the close, our sequence awaits this close; it finishes on its own.
    if (ourClose) return;
    await shutdown.finished;
  });
}

/**
 * `fastify.register(shutdownPlugin, { drainDelayMs, drainTimeoutMs })`: graceful shutdown of
 * `fastify.server` on SIGTERM/SIGINT (see @lbkit/shutdown), with `fastify.close()` as the step that
 * stops accepting, so the server is closed once and onClose hooks run as cleanup after the drain.
 * A direct `fastify.close()` drains too (no delay, no exit). Decorates `fastify.shutdown`.
 */
export const shutdownPlugin = fp(lbkitShutdown, { name: '@lbkit/shutdown', fastify: '5.x' });
