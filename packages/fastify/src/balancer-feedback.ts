// Fastify plugin of @lbkit/balancer-feedback: the HAProxy agent-check responder and the ORCA load header.
import {
  type AgentCheck,
  type AgentCheckOptions,
  createAgentCheck,
  createLoadReport,
  isLoadReport,
  type LoadOptions,
  type LoadReport,
  type LoadReportOptions,
  ORCA_HEADER,
} from '@lbkit/balancer-feedback';
import { LbkitError } from '@lbkit/core';
import { type OptionReader, show } from '@lbkit/core/internal';
import { isLoadShedder } from '@lbkit/shedding';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { readPluginOptions } from './plugin-options.js';

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
 * `sheddingPlugin` is used when there is one; it must be registered before this plugin, or
 * `ready()` fails with `LBKIT_FASTIFY_PLUGIN_MISORDERED`.
 */
export interface BalancerFeedbackPluginOptions extends LoadOptions {
  /** Answer HAProxy's agent-check on this port (listening from `onReady` to `onClose`). Default: off. */
  readonly agentCheck?: Omit<AgentCheckOptions, keyof LoadOptions>;
  /**
   * Add the ORCA `endpoint-load-metrics` header to every response: `true`, the reporter's options,
   * or a reporter made with `createLoadReport()` (its own load options then apply). Default: off.
   */
  readonly loadReport?: boolean | Omit<LoadReportOptions, keyof LoadOptions> | LoadReport;
}

const LOAD_KEYS: readonly (keyof LoadOptions)[] = ['lifecycle', 'concurrencyLimit', 'shedder'];

async function balancerFeedback(
  fastify: FastifyInstance,
  options: BalancerFeedbackPluginOptions,
): Promise<void> {
  const { own } = readPluginOptions<BalancerFeedbackPluginOptions>(
    'balancerFeedbackPlugin',
    options,
    [...LOAD_KEYS, 'agentCheck', 'loadReport'],
    false,
  );
  const agentOptions = part(own, 'agentCheck');
  const givenReport = own.get('loadReport');
  const reportOptions =
    givenReport === true ? {} : isLoadReport(givenReport) ? undefined : part(own, 'loadReport');
  if (!agentOptions && !reportOptions && !isLoadReport(givenReport)) {
    throw own.invalid(
      'nothing to do: neither agentCheck nor loadReport is on',
      'Pass agentCheck: { port } and/or loadReport: true.',
    );
  }
  const ignored = LOAD_KEYS.filter((key) => own.get(key) !== undefined);
  if (isLoadReport(givenReport) && !agentOptions && ignored.length > 0) {
    throw own.invalid(
      `${ignored.join(', ')} would be ignored next to a loadReport made by createLoadReport()`,
      'Pass them to the createLoadReport() that made it, or leave them out.',
    );
  }
  const concurrencyLimit = own.get('concurrencyLimit');
  const shedder =
    own.get('shedder') ??
    (concurrencyLimit === undefined && isLoadShedder(decorated(fastify)) ? fastify.loadShedder : undefined);
  if (shedder === undefined && concurrencyLimit === undefined && (agentOptions || reportOptions)) {
    fastify.addHook('onReady', function refuseLaterShedder(done) {
      // The load is read from the shedder fixed here: one registered later would be left out silently.
      if (!isLoadShedder(decorated(fastify))) return done();
      done(
        new LbkitError(
          'LBKIT_FASTIFY_PLUGIN_MISORDERED',
          'balancerFeedbackPlugin was registered before sheddingPlugin, so it would report the load without the shedder',
          {
            hint: 'Register sheddingPlugin first, or pass shedder (or concurrencyLimit) to balancerFeedbackPlugin.',
          },
        ),
      );
    });
  }
  const load: LoadOptions = { lifecycle: own.get('lifecycle'), concurrencyLimit, shedder };
  const agentCheck = agentOptions
    ? createAgentCheck({ ...agentOptions, ...load } as unknown as AgentCheckOptions)
    : undefined;
  const loadReport = isLoadReport(givenReport)
    ? givenReport
    : reportOptions
      ? createLoadReport({ ...reportOptions, ...load })
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

/** `fastify.loadShedder` when sheddingPlugin decorated this instance. */
function decorated(fastify: FastifyInstance): unknown {
  return fastify.hasDecorator('loadShedder') ? fastify.loadShedder : undefined;
}

/**
 * `agentCheck` or `loadReport` as an object of the capability's options (checked by
 * @lbkit/balancer-feedback), or undefined when off. The load options are set once, at the top.
 */
function part(
  own: OptionReader<BalancerFeedbackPluginOptions>,
  key: 'agentCheck' | 'loadReport',
): Record<string, unknown> | undefined {
  const value: unknown = own.get(key);
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw own.invalid(
      `${key} must be an object${key === 'loadReport' ? ', true or false' : ''}, got ${show(value)}`,
      key === 'agentCheck' ? 'For example agentCheck: { port: 5555 }.' : 'For example loadReport: true.',
    );
  }
  const misplaced = LOAD_KEYS.find((name) => name in value);
  if (misplaced) {
    throw own.invalid(
      `${key}.${misplaced} is set once for both, at the top level`,
      `Move ${misplaced} out of ${key}, next to it.`,
    );
  }
  return value as Record<string, unknown>;
}
