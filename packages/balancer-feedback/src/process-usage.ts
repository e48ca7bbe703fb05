// Process CPU and memory utilisation for load reports, sampled lazily: no timer, at most once per interval.
import { availableParallelism, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

/** CPU time over wall time (÷ CPUs) and RSS over the memory available, refreshed on read when stale. */
export class ProcessUsage {
  readonly #sampleMs: number;
  readonly #cpus = Math.max(1, availableParallelism());
  readonly #memoryLimit = memoryLimit();
  #lastCpu = process.cpuUsage();
  #lastAt = performance.now();
  #cpu = 0;
  #mem = 0;
  #sampled = false;

  constructor(sampleMs: number) {
    this.#sampleMs = sampleMs;
  }

  /** `[cpuUtilization, memUtilization]`, from the latest sample (taken now if the last is older than the interval). */
  read(now: number = performance.now()): readonly [number, number] {
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
    }
    return [this.#cpu, this.#mem];
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
