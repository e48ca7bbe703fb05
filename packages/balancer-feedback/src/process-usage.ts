// Process CPU and memory utilisation for load reports, sampled lazily, at most once per interval.
import { availableParallelism, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

/**
 * CPU time over wall time (÷ CPUs) and RSS over the memory available, refreshed on read when stale.
 * Staleness is a flag a one-shot, unref()'d timer raises `sampleMs` after each sample, so a read
 * between samples costs no clock read (a report is read on every response); no timer runs while
 * nobody reads.
 */
export class ProcessUsage {
  readonly #sampleMs: number;
  readonly #cpus = Math.max(1, availableParallelism());
  readonly #memoryLimit = memoryLimit();
  #lastCpu = process.cpuUsage();
  #lastAt = performance.now();
  #cpu = 0;
  #mem = 0;
  #sampled = false;
  #stale = true;
  #latest: readonly [number, number] = [0, 0];
  readonly #markStale = (): void => {
    this.#stale = true;
  };

  constructor(sampleMs: number) {
    this.#sampleMs = sampleMs;
  }

  /** `[cpuUtilization, memUtilization]`, from the latest sample (taken now if the last is older than the interval). */
  read(at?: number): readonly [number, number] {
    if (!this.#stale && at === undefined) return this.#latest;
    const now = at ?? performance.now();
    const elapsed = now - this.#lastAt;
    if (!this.#sampled || elapsed >= this.#sampleMs) {
      const cpu = process.cpuUsage(this.#lastCpu);
      // The first read has no interval behind it worth the name: report the process's average so far.
      const wallUs = this.#sampled ? elapsed * 1000 : process.uptime() * 1e6;
      this.#cpu = wallUs > 0 ? (this.#sampled ? cpu.user + cpu.system : totalCpu()) / wallUs / this.#cpus : 0;
      this.#mem = process.memoryUsage.rss() / this.#memoryLimit;
      this.#lastCpu = process.cpuUsage();
      this.#lastAt = now;
      this.#sampled = true;
      this.#latest = [this.#cpu, this.#mem];
      this.#stale = false;
      setTimeout(this.#markStale, this.#sampleMs).unref();
    }
    return this.#latest;
  }
}

function totalCpu(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** The cgroup limit when the process runs under one (and it is below the host's memory), else the host's memory. */
function memoryLimit(): number {
  const host = totalmem();
  const constrained = process.constrainedMemory?.();
  return typeof constrained === 'number' && constrained > 0 && constrained < host ? constrained : host;
}
