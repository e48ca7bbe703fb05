// Fastify plugin of @lbkit/balancer-feedback: the HAProxy agent-check responder and the ORCA load header.
import {
  type AgentCheck,
  type AgentCheckOptions,
  createAgentCheck,
  createLoadReport,
  type LoadOptions,
  type LoadReport,
  type LoadReportOptions,
  ORCA_HEADER,
} from '@lbkit/balancer-feedback';
import { LbkitError } from '@lbkit/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** What `balancerFeedbackPlugin` runs: the agent-check responder and the load reporter, when enabled. */
    balancerFeedback: {
      readonly agentCheck: AgentCheck | undefined;
      readonly loadReport: LoadReport | undefined;
    };
  }
}

/**
 * Options of {@link balancerFeedbackPlugin}. Without `shedder` or `concurrencyLimit`, the shedder of
 * `sheddingPlugin` (registered before) is used when there is one.
 */
export interface BalancerFeedbackPluginOptions extends LoadOptions {
  /** Answer HAProxy's agent-check on this port (listening from `onReady` to `onClose`). Default: off. */
  readonly agentCheck?: Omit<AgentCheckOptions, keyof LoadOptions>;
  /** Add the ORCA `endpoint-load-metrics` header to every response. Default: off. */
  readonly loadReport?: boolean | Omit<LoadReportOptions, keyof LoadOptions>;
}

async function balancerFeedback(
  fastify: FastifyInstance,
  options: BalancerFeedbackPluginOptions,
): Promise<void> {
  if (!options.agentCheck && !options.loadReport) {
    throw new LbkitError('LBKIT_FEEDBACK_OPTION_INVALID', 'balancerFeedbackPlugin has nothing to do', {
      hint: 'Pass agentCheck: { port } and/or loadReport: true.',
    });
  }
  const { lifecycle, concurrencyLimit } = options;
  const shedder =
    options.shedder ??
    (concurrencyLimit === undefined && fastify.hasDecorator('loadShedder') ? fastify.loadShedder : undefined);
  const load: LoadOptions = { lifecycle, concurrencyLimit, shedder };
  const agentCheck = options.agentCheck ? createAgentCheck({ ...options.agentCheck, ...load }) : undefined;
  const loadReport = options.loadReport
    ? createLoadReport({ ...(options.loadReport === true ? {} : options.loadReport), ...load })
    : undefined;
  fastify.decorate('balancerFeedback', { agentCheck, loadReport });

  if (loadReport) {
    fastify.addHook(
      'onRequest',
      function setLoadReport(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
        reply.header(ORCA_HEADER, loadReport.headerValue());
        done();
      },
    );
  }
  if (agentCheck) {
    fastify.addHook('onReady', async function listenAgentCheck() {
      await agentCheck.listen();
    });
    fastify.addHook('onClose', async function closeAgentCheck() {
      await agentCheck.close();
    });
  }
}

/**
 * Balancer feedback for Fastify: an HAProxy agent-check responder (`agentCheck: { port }`) and/or
 * the ORCA load header (`loadReport: true`). Decorates the instance with `balancerFeedback`.
 */
export const balancerFeedbackPlugin = fp(balancerFeedback, {
  name: '@lbkit/balancer-feedback',
  fastify: '5.x',
});
