import { execFile } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { clockTicksPerSecond } from './clockTicks';

/** One process of a run's tree at one moment. */
export interface TreeProcess {
  pid: number;
  /** Tells a reused pid apart: the start time in clock ticks since boot (Linux), else 0. */
  start: number;
  /** User + system CPU time so far, in seconds. */
  cpuSeconds: number;
  /** Resident set size, in bytes. */
  rssBytes: number;
}

interface Row {
  pid: number;
  ppid: number;
  pgrp: number;
  start: number;
  cpuSeconds: number;
  rssBytes: number;
}

/** Fields of /proc/<pid>/stat (proc(5)); the command name in parentheses may hold spaces and parentheses. */
export function parseProcStat(text: string, ticksPerSecond: number): Omit<Row, 'rssBytes'> | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const f = text.slice(close + 2).split(' '); // f[0] is field 3 (state)
  const ppid = Number(f[1]);
  const pgrp = Number(f[2]);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const start = Number(f[19]);
  if (![pid, ppid, pgrp, utime, stime].every(Number.isFinite)) return undefined;
  return { pid, ppid, pgrp, start: Number.isFinite(start) ? start : 0, cpuSeconds: (utime + stime) / ticksPerSecond };
}

/** VmRSS of /proc/<pid>/status in bytes (0 for a kernel thread or a zombie, which have none). */
export function parseVmRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** The pids of `root`, its descendants (by parent pid) and the members of its process group (orphans reparented to init stay in it). */
function selectTree(rows: Row[], root: number): Row[] {
  const children = new Map<number, Row[]>();
  for (const r of rows) {
    const list = children.get(r.ppid);
    if (list) list.push(r);
    else children.set(r.ppid, [r]);
  }
  const picked = new Map<number, Row>();
  const queue = rows.filter((r) => r.pid === root || r.pgrp === root);
  while (queue.length) {
    const r = queue.pop() as Row;
    if (picked.has(r.pid)) continue;
    picked.set(r.pid, r);
    for (const c of children.get(r.pid) ?? []) queue.push(c);
  }
  return [...picked.values()];
}

const buffer = Buffer.alloc(8192);

/**
 * A /proc file's text (they are small and generated on read, never on a disk): read synchronously, one read()
 * each. A few hundred take well under a millisecond; the same through the thread pool costs five times the CPU.
 */
function readProcFile(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('latin1', 0, n);
  } catch {
    return undefined; // the process ended meanwhile
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Linux: /proc/<pid>/stat of every process (for the parent links), /proc/<pid>/status (VmRSS) of the tree's. */
async function readProcTree(root: number, procDir: string): Promise<TreeProcess[]> {
  const tps = await clockTicksPerSecond();
  const rows: Row[] = [];
  for (const name of readdirSync(procDir)) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue; // pids only
    const text = readProcFile(path.join(procDir, name, 'stat'));
    const r = text && parseProcStat(text, tps);
    if (r) rows.push({ ...r, rssBytes: 0 });
  }
  return selectTree(rows, root).map((r) => ({
    pid: r.pid,
    start: r.start,
    cpuSeconds: r.cpuSeconds,
    rssBytes: parseVmRss(readProcFile(path.join(procDir, String(r.pid), 'status')) ?? ''),
  }));
}

/** `ps` cumulative CPU time: `[[dd-]hh:]mm:ss[.cc]`, in seconds. */
export function parsePsTime(text: string): number {
  const [days, rest] = text.includes('-') ? text.split('-') : ['0', text];
  const parts = rest.split(':').map(Number);
  let s = 0;
  for (const p of parts) s = s * 60 + p;
  return Number(days) * 86400 + s;
}

/** macOS and the BSDs: one `ps` of every process (pid, ppid, pgid, rss in KiB, cumulative CPU time). */
function readPsTree(root: number): Promise<TreeProcess[]> {
  return new Promise((resolve, reject) => {
    execFile('ps', ['-A', '-o', 'pid=,ppid=,pgid=,rss=,time='], { timeout: 10_000, maxBuffer: 16 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const rows: Row[] = [];
      for (const line of String(stdout).split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length < 5) continue;
        const [pid, ppid, pgrp, rss] = f.slice(0, 4).map(Number);
        const cpuSeconds = parsePsTime(f[4]);
        if ([pid, ppid, pgrp, rss, cpuSeconds].every(Number.isFinite))
          rows.push({ pid, ppid, pgrp, start: 0, cpuSeconds, rssBytes: rss * 1024 });
      }
      resolve(selectTree(rows, root).map(({ pid, start, cpuSeconds, rssBytes }) => ({ pid, start, cpuSeconds, rssBytes })));
    });
  });
}

/**
 * The run's process tree now: the process `root`, every descendant (e.g. DataLoader workers) and its process
 * group. Linux reads /proc; macOS and the BSDs run `ps`. Undefined where neither exists (Windows).
 */
export async function readProcessTree(root: number, procDir = '/proc'): Promise<TreeProcess[] | undefined> {
  if (process.platform === 'linux') return readProcTree(root, procDir);
  if (process.platform === 'win32') return undefined;
  return readPsTree(root);
}
