import { execFile } from 'node:child_process';

let ticks: Promise<number> | undefined;

/** The clock ticks per second (CLK_TCK) that /proc/<pid>/stat times count in: `getconf CLK_TCK` once per process, 100 if that fails. */
export function clockTicksPerSecond(): Promise<number> {
  ticks ??= new Promise((resolve) => {
    execFile('getconf', ['CLK_TCK'], { timeout: 5000 }, (err, stdout) => {
      const n = Number(String(stdout).trim());
      resolve(!err && Number.isInteger(n) && n > 0 ? n : 100);
    });
  });
  return ticks;
}
