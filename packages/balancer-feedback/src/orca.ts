// ORCA load reports in the TEXT form of the `endpoint-load-metrics` response header (Envoy, gRPC).
import { brand, OptionReader } from '@lbkit/core/internal';
import { LOAD_OPTIONS, readLoadSource } from './load-gauge.js';
import { ProcessUsage } from './process-usage.js';
import { readSlowStart, SLOW_START_OPTIONS } from './slow-start.js';
import type { LoadReport, LoadReportOptions, OrcaReport } from './types.js';

/** The response header Envoy's ORCA parser reads. */
export const ORCA_HEADER = 'endpoint-load-metrics';

const LOAD_REPORT = brand<LoadReport>('loadReport');
const NO_USAGE = [undefined, undefined] as const;
/** In-flight and queued counts below this are cached as formatted text (whole numbers only). */
const CACHED_LOADS = 4096;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const OPTIONS = [
  ...LOAD_OPTIONS,
  ...SLOW_START_OPTIONS,
  'processUsage',
  'sampleMs',
  'namedMetrics',
] as const satisfies ReadonlyArray<keyof LoadReportOptions>;

/**
 * Formats a report as `TEXT key=value, …` with the field names of cncf/xds `OrcaLoadReport`
 * (`named_metrics.<name>` for the named ones). Values that are not finite or are negative — which
 * Envoy refuses, dropping the whole report — and invalid names are left out.
 */
export function formatOrcaText(report: OrcaReport): string {
  const parts: string[] = [];
  const add = (key: string, value: number | undefined): void => {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0)
      parts.push(`${key}=${number(value)}`);
  };
  add('application_utilization', report.applicationUtilization);
  add('cpu_utilization', report.cpuUtilization);
  add('mem_utilization', report.memUtilization);
  add('rps_fractional', report.rpsFractional);
  add('eps', report.eps);
  for (const [name, value] of Object.entries(report.namedMetrics ?? {})) {
    if (NAME.test(name)) add(`named_metrics.${name}`, value);
  }
  return `TEXT ${parts.join(', ')}`;
}

/**
 * True when `value` was made by {@link createLoadReport}, by this copy of @lbkit/balancer-feedback or
 * another one (adapters accept options or a ready reporter).
 */
export function isLoadReport(value: unknown): value is LoadReport {
  return LOAD_REPORT.is(value);
}

/**
 * Creates the reporter. Named metrics always carry `in_flight`, `queued` and (when known)
 * `concurrency_limit`; `application_utilization` is load against the limit and appears only when a
 * limit is known. With `slowStartMs`, `slow_start_weight` carries the ramp and
 * `application_utilization` is divided by it. Options are validated here (`LBKIT_FEEDBACK_…` codes,
 * unknown ones refused with the closest known name).
 */
export function createLoadReport(options: LoadReportOptions = {}): LoadReport {
  const reader = new OptionReader<LoadReportOptions>('FEEDBACK', 'createLoadReport()', options, OPTIONS);
  const source = readLoadSource(reader);
  const processUsage = reader.boolean('processUsage', true);
  const sampleMs = reader.milliseconds('sampleMs', 1000, 1);
  const extra = reader.function<() => Readonly<Record<string, number>>>('namedMetrics');
  const usage = processUsage ? new ProcessUsage(sampleMs) : undefined;
  const weightFactor = readSlowStart(reader);

  const report = (): OrcaReport => {
    const [cpu, mem] = usage?.read() ?? NO_USAGE;
    return build(source.inFlight(), source.queued(), source.limit(), cpu, mem, weightFactor?.() ?? 1);
  };
  const build = (
    inFlight: number,
    queued: number,
    limit: number | undefined,
    cpu: number | undefined,
    mem: number | undefined,
    factor: number,
  ): OrcaReport => {
    const named: Record<string, number> = { in_flight: inFlight, queued };
    if (limit !== undefined) named.concurrency_limit = limit;
    // ORCA has no weight: balancers that weigh by rps / utilization (Envoy's client-side weighted
    // round robin) see the ramp as utilization ÷ factor; others can read slow_start_weight.
    if (weightFactor) named.slow_start_weight = factor;
    if (extra) Object.assign(named, extra());
    return {
      applicationUtilization: limit === undefined ? undefined : (inFlight + queued) / limit / factor,
      cpuUtilization: cpu,
      memUtilization: mem,
      namedMetrics: named,
    };
  };
  // Every response carries the header, and the figures in it take few values between two CPU
  // samples: the text for each (in flight, queued) is formatted once and kept until the limit, the
  // process usage (a new sample, once the sampling timer has marked the last one stale) or the
  // slow-start weight moves; the last text answers again while the load stays where it was, so a
  // steady response costs a few reads and comparisons, no allocation. Caller-supplied named
  // metrics are read every time.
  const texts = new Map<number, string>();
  let seenUsage: readonly [number, number] | undefined;
  let seenLimit: number | undefined;
  let seenFactor = Number.NaN;
  let lastKey = -1;
  let lastText = '';
  const headerValue = (): string => {
    if (extra) return formatOrcaText(report());
    const sample = usage?.read();
    const limit = source.limit();
    const factor = weightFactor === undefined ? 1 : weightFactor();
    if (sample !== seenUsage || limit !== seenLimit || factor !== seenFactor) {
      texts.clear();
      lastKey = -1;
      seenUsage = sample;
      seenLimit = limit;
      seenFactor = factor;
    }
    const inFlight = source.inFlight();
    const queued = source.queued();
    if (
      !(
        inFlight >>> 0 === inFlight &&
        queued >>> 0 === queued &&
        inFlight < CACHED_LOADS &&
        queued < CACHED_LOADS
      )
    )
      return formatOrcaText(build(inFlight, queued, limit, sample?.[0], sample?.[1], factor));
    const key = inFlight * CACHED_LOADS + queued;
    if (key === lastKey) return lastText;
    let text = texts.get(key);
    if (text === undefined) {
      text = formatOrcaText(build(inFlight, queued, limit, sample?.[0], sample?.[1], factor));
      texts.set(key, text);
    }
    lastKey = key;
    lastText = text;
    return text;
  };
  return LOAD_REPORT.mark({
    report,
    headerValue,
    setHeader(res) {
      if (!res.headersSent) res.setHeader(ORCA_HEADER, headerValue());
    },
  });
}

/** At most four decimals, never an exponent for the magnitudes a load report carries. */
function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 10_000) / 10_000);
}
