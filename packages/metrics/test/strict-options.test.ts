// Unknown options are misconfiguration: createMetrics() and observe() refuse them by name, with the closest known one.
import { Lifecycle } from '@lbkit/core';
import { createMetrics, type MetricsOptions } from '@lbkit/metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { refusal } from '../../../test/helpers/refusal.js';
import { answerToUncalled } from '../../../test/helpers/uncalled.js';

const lifecycle = new Lifecycle();
const metrics = (options: Record<string, unknown>) => () =>
  createMetrics({ registry: new Registry(), lifecycle, ...options } as MetricsOptions);

describe('misspelt options are refused with LBKIT_METRICS_OPTION_UNKNOWN and the option meant', () => {
  it.each([
    ['createMetrics({ shedr })', metrics({ shedr: {} }), 'shedr', 'shedder'],
    [
      'createMetrics({ registy })',
      () => createMetrics({ registy: new Registry() } as never),
      'registy',
      'registry',
    ],
    ['createMetrics({ sessionBucket })', metrics({ sessionBucket: [1] }), 'sessionBucket', 'sessionBuckets'],
    ['createMetrics({ Prefix })', metrics({ Prefix: 'app_' }), 'Prefix', 'prefix'],
    [
      'observe({ shutdwn })',
      () => createMetrics({ registry: new Registry(), lifecycle }).observe({ shutdwn: {} } as never),
      'shutdwn',
      'shutdown',
    ],
  ])('%s', (_name, fn, given, meant) => {
    const { code, message } = refusal(fn);
    expect(code).toBe('LBKIT_METRICS_OPTION_UNKNOWN');
    expect(message).toContain(`unknown option "${given}" — did you mean "${meant}"?`);
  });
});

describe('options of the wrong type are refused before anything is registered', () => {
  it.each([
    [
      'options that are not an object',
      () => createMetrics('lbkit_' as never),
      'LBKIT_METRICS_OPTION_INVALID',
    ],
    [
      'a lifecycle that is not one',
      metrics({ lifecycle: { state: 'ready' } }),
      'LBKIT_METRICS_OPTION_INVALID',
    ],
    ['a shedder without snapshot()', metrics({ shedder: { limit: 10 } }), 'LBKIT_METRICS_OPTION_INVALID'],
    ['a health without latestResults()', metrics({ health: {} }), 'LBKIT_METRICS_OPTION_INVALID'],
    [
      'a session store without on()',
      metrics({ sessionStore: { available: true } }),
      'LBKIT_METRICS_OPTION_INVALID',
    ],
    ['a shutdown that is a string', metrics({ shutdown: 'SIGTERM' }), 'LBKIT_METRICS_OPTION_INVALID'],
    ['a registry that is not one', metrics({ registry: {} }), 'LBKIT_METRICS_REGISTRY_INVALID'],
    ['a prefix that is a number', metrics({ prefix: 7 }), 'LBKIT_METRICS_PREFIX_INVALID'],
    ['a prefix in an array', metrics({ prefix: ['lbkit_'] }), 'LBKIT_METRICS_PREFIX_INVALID'],
    ['buckets as a string', metrics({ sessionBuckets: '0.1,1' }), 'LBKIT_METRICS_BUCKETS_INVALID'],
    ['buckets with a string', metrics({ sessionBuckets: [0.1, '1'] }), 'LBKIT_METRICS_BUCKETS_INVALID'],
  ])('%s', (_name, fn, code) => {
    expect(refusal(fn).code).toBe(code);
  });

  it('leaves the registry empty, so the corrected call succeeds on it', async () => {
    const registry = new Registry();
    expect(refusal(() => createMetrics({ registry, lifecycle, shedder: {} as never })).code).toBe(
      'LBKIT_METRICS_OPTION_INVALID',
    );
    expect(registry.getMetricsAsArray()).toEqual([]);
    createMetrics({ registry, lifecycle }).close();
  });
});

describe('createMetrics mounted without being called', () => {
  it('answers the scrape with LBKIT_METRICS_FACTORY_NOT_CALLED instead of hanging', async () => {
    // the mistake: createMetrics instead of createMetrics({ … })
    const { status, text } = await answerToUncalled(
      (app) => app.get('/metrics', createMetrics as never),
      '/metrics',
    );
    expect(status).toBe(500);
    expect(text).toBe('LBKIT_METRICS_FACTORY_NOT_CALLED');
  });
});
