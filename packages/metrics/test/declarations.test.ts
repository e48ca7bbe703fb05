// Public declarations never require an optional peer: no source file imports one (prom-client, drivers), even for a type.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OtelMeter, PromRegistry } from '@lbkit/metrics';
import { type Meter, metrics as otelApi } from '@opentelemetry/api';
import * as promClientModule from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  type CounterLike,
  type GaugeLike,
  type HistogramLike,
  type PromClient,
  promClient,
} from '../src/prom-client.js';

const packages = fileURLToPath(new URL('../../', import.meta.url));
// @lbkit/metrics, and the packages whose declarations it sits beside in @lbkit/express's tree.
const CHECKED = ['metrics', 'health', 'balancer-feedback'];

/** The optional peer dependencies a package declares in its package.json. */
function optionalPeers(name: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packages, name, 'package.json'), 'utf8')) as {
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  return Object.entries(manifest.peerDependenciesMeta ?? {}).flatMap(([peer, meta]) =>
    meta.optional ? [peer] : [],
  );
}

/** The configuration a metric constructor of {@link PromClient} takes. */
type ConfigOf<K extends 'Gauge' | 'Counter' | 'Histogram'> = PromClient[K] extends new (
  config: infer C,
) => unknown
  ? C
  : never;
/** That configuration with the real registries lbkit passes at run time. */
type Real<C> = Omit<C, 'registers'> & { registers: promClientModule.Registry[] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every way a .ts file can make its declarations depend on `peer`: import/export from, import(), reference. */
function importsOf(text: string, peer: string): string[] {
  const name = `${peer.replace(/[-/]/g, '\\$&')}(?:/[^'"]*)?`;
  const patterns = [
    new RegExp(`\\b(?:import|export)\\b[^;]*?\\bfrom\\s*['"]${name}['"]`, 'g'),
    new RegExp(`\\bimport\\s*['"]${name}['"]`, 'g'),
    new RegExp(`\\bimport\\s*\\(\\s*['"]${name}['"]\\s*\\)`, 'g'),
    new RegExp(`/// <reference\\s+types=['"]${name}['"]`, 'g'),
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[0]));
}

describe.each(CHECKED)('@lbkit/%s declarations', (name) => {
  it('no source file imports an optional peer, not even as a type', () => {
    const peers = optionalPeers(name);
    const found = sourceFiles(join(packages, name, 'src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return peers.flatMap((peer) => importsOf(text, peer).map((m) => `${file}: ${m}`));
    });
    expect(found).toEqual([]);
  });
});

describe('@lbkit/metrics declarations', () => {
  it('prom-client and @opentelemetry/api are optional peers, so the check above covers them', () => {
    expect(optionalPeers('metrics')).toEqual(expect.arrayContaining(['prom-client', '@opentelemetry/api']));
  });

  it("@opentelemetry/api's Meter fits the OtelMeter declared in its place", () => {
    // This function is the check: tsc -p tsconfig.test.json fails when the API's Meter stops fitting.
    const fits = (meter: Meter): OtelMeter => meter;
    const meter = fits(otelApi.getMeter('declarations'));
    for (const method of [
      'createHistogram',
      'createCounter',
      'createUpDownCounter',
      'createObservableGauge',
      'createObservableCounter',
      'createObservableUpDownCounter',
    ] as const) {
      expect(typeof meter[method]).toBe('function');
    }
    const observable = meter.createObservableGauge('declarations.check');
    expect(typeof observable.addCallback).toBe('function');
    expect(typeof observable.removeCallback).toBe('function');
  });

  it('the import finder sees every form it guards against', () => {
    const forms = [
      "import type { Registry } from 'prom-client';",
      "import { type Registry, Gauge } from 'prom-client';",
      "export type { Registry } from 'prom-client';",
      "type Client = typeof import('prom-client');",
      "import 'prom-client/lib/registry';",
      '/// <reference types="prom-client" />',
    ];
    for (const form of forms) expect(importsOf(form, 'prom-client'), form).toHaveLength(1);
    // Loading it at run time, only when metrics are created, is how the peer is meant to be used.
    expect(importsOf("createRequire(import.meta.url)('prom-client')", 'prom-client')).toEqual([]);
  });

  it('prom-client fits the shapes declared in its place', () => {
    // These functions are the check: tsc -p tsconfig.test.json fails when prom-client stops fitting.
    const registry: PromRegistry = new promClientModule.Registry();
    const register: PromRegistry = promClientModule.register;
    const gauge = (g: promClientModule.Gauge): GaugeLike => g;
    const counter = (c: promClientModule.Counter): CounterLike => c;
    const histogram = (h: promClientModule.Histogram): HistogramLike => h;
    // lbkit passes the registry it was given, a real Registry at run time, in `registers`.
    const gaugeConfig = (c: Real<ConfigOf<'Gauge'>>): promClientModule.GaugeConfiguration<string> => c;
    const counterConfig = (c: Real<ConfigOf<'Counter'>>): promClientModule.CounterConfiguration<string> => c;
    const histogramConfig = (
      c: Real<ConfigOf<'Histogram'>>,
    ): promClientModule.HistogramConfiguration<string> => c;
    expect([gauge, counter, histogram, gaugeConfig, counterConfig, histogramConfig]).toHaveLength(6);
    for (const r of [registry, register, promClient().register]) {
      for (const method of ['metrics', 'registerMetric', 'removeSingleMetric'] as const) {
        expect(typeof r[method]).toBe('function');
      }
      expect(typeof r.contentType).toBe('string');
    }
    for (const metric of ['Gauge', 'Counter', 'Histogram'] as const) {
      expect(typeof promClient()[metric]).toBe('function');
    }
  });
});
