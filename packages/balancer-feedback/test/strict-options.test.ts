// Unknown options are misconfiguration: every factory of @lbkit/balancer-feedback refuses them by name, with the closest known one.
import { createAgentCheck, createLoadGauge, createLoadReport } from '@lbkit/balancer-feedback';
import { Lifecycle } from '@lbkit/core';
import { describe, expect, it } from 'vitest';
import { refusal } from '../../../test/helpers/refusal.js';
import { answerToUncalled } from '../../../test/helpers/uncalled.js';

const lifecycle = new Lifecycle();

describe('misspelt options are refused with LBKIT_FEEDBACK_OPTION_UNKNOWN and the option meant', () => {
  it.each([
    [
      'createLoadReport({ lifecyle })',
      () => createLoadReport({ lifecyle: lifecycle } as never),
      'lifecyle',
      'lifecycle',
    ],
    [
      'createLoadReport({ sampleMS })',
      () => createLoadReport({ sampleMS: 500 } as never),
      'sampleMS',
      'sampleMs',
    ],
    [
      'createLoadReport({ namedMetric })',
      () => createLoadReport({ namedMetric: () => ({}) } as never),
      'namedMetric',
      'namedMetrics',
    ],
    ['createAgentCheck({ prot })', () => createAgentCheck({ prot: 3001 } as never), 'prot', 'port'],
    [
      'createAgentCheck({ minWeight })',
      () => createAgentCheck({ port: 0, minWeight: 5 } as never),
      'minWeight',
      'minWeightPercent',
    ],
    [
      'createAgentCheck({ concurrencylimit })',
      () => createAgentCheck({ port: 0, concurrencylimit: 10 } as never),
      'concurrencylimit',
      'concurrencyLimit',
    ],
    ['createLoadGauge({ shedr })', () => createLoadGauge({ shedr: {} } as never), 'shedr', 'shedder'],
  ])('%s', (_name, fn, given, meant) => {
    const { code, message } = refusal(fn);
    expect(code).toBe('LBKIT_FEEDBACK_OPTION_UNKNOWN');
    expect(message).toContain(`unknown option "${given}" — did you mean "${meant}"?`);
  });

  it('refuses an option of one factory given to the other', () => {
    // `port` belongs to the agent-check responder, not to the load report.
    expect(refusal(() => createLoadReport({ port: 3001 } as never)).code).toBe(
      'LBKIT_FEEDBACK_OPTION_UNKNOWN',
    );
  });
});

describe('options of the wrong type are refused with their codes', () => {
  it.each([
    ['options that are not an object', () => createLoadReport(5 as never), 'LBKIT_FEEDBACK_OPTION_INVALID'],
    [
      'a lifecycle that is not one',
      () => createLoadGauge({ lifecycle: {} as never }),
      'LBKIT_FEEDBACK_OPTION_INVALID',
    ],
    [
      'processUsage as a string',
      () => createLoadReport({ processUsage: 'no' as never }),
      'LBKIT_FEEDBACK_OPTION_INVALID',
    ],
    ['a fractional sampleMs', () => createLoadReport({ sampleMs: 2.5 }), 'LBKIT_FEEDBACK_OPTION_INVALID'],
    ['a host that is empty', () => createAgentCheck({ port: 0, host: '' }), 'LBKIT_FEEDBACK_OPTION_INVALID'],
    [
      'maxConnections of 0',
      () => createAgentCheck({ port: 0, maxConnections: 0 }),
      'LBKIT_FEEDBACK_OPTION_INVALID',
    ],
    ['no port', () => createAgentCheck({} as never), 'LBKIT_FEEDBACK_PORT_INVALID'],
    ['a port as a string', () => createAgentCheck({ port: '3001' as never }), 'LBKIT_FEEDBACK_PORT_INVALID'],
    [
      'a weight of 1.5',
      () => createAgentCheck({ port: 0, minWeightPercent: 1.5 }),
      'LBKIT_FEEDBACK_WEIGHT_INVALID',
    ],
    ['a limit of 0', () => createLoadReport({ concurrencyLimit: 0 }), 'LBKIT_FEEDBACK_LIMIT_INVALID'],
    [
      'a limit as a string',
      () => createLoadReport({ concurrencyLimit: '10' as never }),
      'LBKIT_FEEDBACK_LIMIT_INVALID',
    ],
    [
      'a shedder without counters',
      () => createLoadReport({ shedder: {} as never }),
      'LBKIT_FEEDBACK_SHEDDER_INVALID',
    ],
  ])('%s', (_name, fn, code) => {
    expect(refusal(fn).code).toBe(code);
  });
});

describe('createLoadReport mounted without being called', () => {
  it('answers the request with LBKIT_FEEDBACK_FACTORY_NOT_CALLED instead of hanging', async () => {
    // the mistake: app.use(createLoadReport) instead of a middleware
    const { status, text } = await answerToUncalled((app) => app.use(createLoadReport as never), '/');
    expect(status).toBe(500);
    expect(text).toBe('LBKIT_FEEDBACK_FACTORY_NOT_CALLED');
  });
});
