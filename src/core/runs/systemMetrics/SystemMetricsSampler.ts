import { findExecutable } from '../resolveInterpreter';
import { queryNvidiaSmi, type GpuReading } from './queryNvidiaSmi';
import { readProcessTree, type TreeProcess } from './readProcessTree';
import { cpuPercentBetween, readCpuTimes, readMemoryUsage, type CpuTimes } from './readSystemUsage';
import { gpuMetric, SystemMetric } from './systemMetricNames';

export interface SystemPoint {
  k: string;
  v: number;
  s: number;
  t: number;
}

export interface SystemMetricsOptions {
  /** The run's main process: it, its descendants and its process group are measured. */
  rootPid: number;
  /** Time between samples, ms (at least 100). */
  intervalMs: number;
  /** Takes each sample's points (the run's MetricsWriter.append). Never called once stop() was called. */
  write: (points: SystemPoint[]) => unknown;
  /** Told once per kind of failure (nvidia-smi failing, the process table unreadable); sampling goes on without it. */
  warn: (message: string) => void;
  /** Where `nvidia-smi` is looked up (PATH), once per run. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Linux: the proc filesystem (tests and benches may point elsewhere). */
  procDir?: string;
}

const MIB = 1024 * 1024;
const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

/**
 * Samples a run's system metrics every `intervalMs`: the run's process tree (CPU as a share of one core, RSS),
 * the machine (CPU, memory) and, when `nvidia-smi` is on PATH, each GPU (utilisation, memory). Points carry the
 * wall-clock time of the sample and a step counter of their own (sample 0, 1, 2...), apart from the script's steps.
 * One sample at a time (the next is scheduled when one ends); every failure is caught; stop() leaves no timer and
 * no child behind, and nothing is written after it.
 */
export class SystemMetricsSampler {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private step = 0;
  private cpu: CpuTimes = readCpuTimes();
  private wall = performance.now();
  private tree = new Map<number, TreeProcess>();
  private processOff = false;
  private nvidiaSmi: Promise<string | undefined>;
  private readonly intervalMs: number;

  private constructor(private readonly o: SystemMetricsOptions) {
    this.intervalMs = Math.max(100, o.intervalMs);
    this.nvidiaSmi = findExecutable('nvidia-smi', o.env ?? process.env, o.cwd).catch(() => undefined);
  }

  /** Takes a baseline now and the first sample after one interval. */
  static start(o: SystemMetricsOptions): SystemMetricsSampler {
    const s = new SystemMetricsSampler(o);
    void s.baseline().finally(() => s.schedule());
    return s;
  }

  /** Stops sampling: clears the timer, kills a running nvidia-smi, and drops a sample still being taken. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
  }

  private async baseline(): Promise<void> {
    try {
      this.tree = byPid((await readProcessTree(this.o.rootPid, this.o.procDir)) ?? []);
    } catch {
      /* the first sample reports it */
    }
    this.cpu = readCpuTimes();
    this.wall = performance.now();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sample()
        .catch((e) => this.o.warn(`system metrics: ${(e as Error).message}`))
        .finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    const t = Date.now();
    const s = this.step;
    const [processes, memory, gpus] = await Promise.all([this.readTree(), readMemoryUsage(), this.readGpus()]);
    if (this.stopped) return;
    const points: SystemPoint[] = [];
    const add = (k: string, v: number | undefined) => {
      if (v !== undefined && Number.isFinite(v)) points.push({ k, v, s, t });
    };
    const cpu = readCpuTimes();
    const wall = performance.now();
    add(SystemMetric.cpuUtilization, mapRound(cpuPercentBetween(this.cpu, cpu), 1));
    add(SystemMetric.memoryUsed, round(memory.usedBytes / 1e6, 1));
    add(SystemMetric.memoryPercent, round((memory.usedBytes / memory.totalBytes) * 100, 1));
    if (processes?.length) {
      let cpuSeconds = 0;
      let rss = 0;
      for (const p of processes) {
        const before = this.tree.get(p.pid);
        // A process first seen now started since the last sample (or was not in the tree): all its CPU time is new.
        cpuSeconds += before && before.start === p.start ? Math.max(0, p.cpuSeconds - before.cpuSeconds) : p.cpuSeconds;
        rss += p.rssBytes;
      }
      const seconds = (wall - this.wall) / 1000;
      if (seconds > 0) add(SystemMetric.processCpu, round((cpuSeconds / seconds) * 100, 1));
      add(SystemMetric.processRss, round(rss / 1e6, 1));
      this.tree = byPid(processes);
    }
    this.cpu = cpu;
    this.wall = wall;
    for (const g of gpus ?? []) {
      add(gpuMetric.utilization(g.index), g.utilizationPercent);
      if (g.memoryUsedMiB !== undefined) add(gpuMetric.memoryUsed(g.index), round((g.memoryUsedMiB * MIB) / 1e6, 1));
      if (g.memoryUsedMiB !== undefined && g.memoryTotalMiB)
        add(gpuMetric.memoryPercent(g.index), round((g.memoryUsedMiB / g.memoryTotalMiB) * 100, 1));
    }
    if (!points.length) return;
    this.step++;
    this.o.write(points);
  }

  private async readTree(): Promise<TreeProcess[] | undefined> {
    if (this.processOff) return undefined;
    try {
      const tree = await readProcessTree(this.o.rootPid, this.o.procDir);
      if (!tree) this.processOff = true; // no way to read it on this platform
      return tree;
    } catch (e) {
      this.processOff = true;
      this.o.warn(`system metrics: cannot read the run's processes (${(e as Error).message}); CPU and memory of the run are not recorded`);
      return undefined;
    }
  }

  private async readGpus(): Promise<GpuReading[] | undefined> {
    const exe = await this.nvidiaSmi;
    if (!exe || this.stopped) return undefined;
    try {
      return await queryNvidiaSmi(exe, Math.min(10_000, Math.max(2000, this.intervalMs)), this.o.env, this.abort.signal);
    } catch (e) {
      if (this.stopped) return undefined;
      this.nvidiaSmi = Promise.resolve(undefined);
      this.o.warn(`system metrics: ${exe} failed (${(e as Error).message}); GPU metrics are not recorded for this run`);
      return undefined;
    }
  }
}

function byPid(list: TreeProcess[]): Map<number, TreeProcess> {
  return new Map(list.map((p) => [p.pid, p]));
}

function mapRound(v: number | undefined, digits: number): number | undefined {
  return v === undefined ? undefined : round(v, digits);
}
