import * as os from 'node:os';
import { promises as fsp } from 'node:fs';

/** CPU time of all cores so far, in ms: busy and total (os.cpus() counts in ms on every platform). */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function readCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** The machine's CPU use between two readings, all cores together, 0-100; undefined when no time passed. */
export function cpuPercentBetween(a: CpuTimes, b: CpuTimes): number | undefined {
  const total = b.total - a.total;
  return total > 0 ? Math.min(100, Math.max(0, ((b.busy - a.busy) / total) * 100)) : undefined;
}

export interface MemoryUsage {
  usedBytes: number;
  totalBytes: number;
}

/** MemTotal and MemAvailable of /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): MemoryUsage | undefined {
  const total = /^MemTotal:\s+(\d+)\s+kB/m.exec(text);
  const available = /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
  if (!total || !available) return undefined;
  const totalBytes = Number(total[1]) * 1024;
  return { totalBytes, usedBytes: totalBytes - Number(available[1]) * 1024 };
}

/** Memory in use on the machine: total minus what is available to new programs (Linux), else total minus free. */
export async function readMemoryUsage(): Promise<MemoryUsage> {
  if (process.platform === 'linux') {
    const m = parseMeminfo(await fsp.readFile('/proc/meminfo', 'latin1').catch(() => ''));
    if (m) return m;
  }
  const totalBytes = os.totalmem();
  return { totalBytes, usedBytes: totalBytes - os.freemem() };
}
