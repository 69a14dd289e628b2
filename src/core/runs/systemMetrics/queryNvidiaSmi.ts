import { execFile } from 'node:child_process';

/** One GPU as nvidia-smi reports it. A value nvidia-smi does not have (`[N/A]`, `[Not Supported]`) is undefined. */
export interface GpuReading {
  index: number;
  utilizationPercent?: number;
  memoryUsedMiB?: number;
  memoryTotalMiB?: number;
}

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'];

const num = (text: string | undefined): number | undefined => {
  const t = text?.trim() ?? '';
  if (!/^[-+]?\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
};

/** Lines of `index, utilization.gpu, memory.used, memory.total` (csv,noheader,nounits). Throws when a line has no GPU index. */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const gpus: GpuReading[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [index, util, used, total] = line.split(',');
    const i = num(index);
    if (i === undefined || !Number.isInteger(i)) throw new Error(`unexpected nvidia-smi output: ${line.trim().slice(0, 120)}`);
    gpus.push({ index: i, utilizationPercent: num(util), memoryUsedMiB: num(used), memoryTotalMiB: num(total) });
  }
  return gpus;
}

/** Runs `nvidia-smi --query-gpu=...` (an argument array, no shell; `signal` kills it). Rejects with nvidia-smi's first error line. */
export function queryNvidiaSmi(exe: string, timeoutMs: number, env?: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<GpuReading[]> {
  return new Promise((resolve, reject) => {
    execFile(exe, NVIDIA_SMI_ARGS, { timeout: timeoutMs, env, signal, windowsHide: true, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const said = `${String(stderr)}\n${String(stdout)}`
          .split('\n')
          .find((l) => l.trim())
          ?.trim();
        const why = err.killed ? `no answer within ${timeoutMs} ms` : (said ?? err.message);
        return reject(new Error(why));
      }
      try {
        resolve(parseNvidiaSmiCsv(String(stdout)));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
