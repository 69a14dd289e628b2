import * as os from 'node:os';
import { readFileSync } from 'node:fs';
import type { ProcessIdentity } from './runTypes';

/**
 * Telling whether the process that owns a "running" run is still there.
 *
 * On the same Linux host a pid alone is not enough (pids are reused, the machine may have
 * rebooted), so an identity holds the boot id and the process start time from /proc; both
 * must match. Elsewhere `kill(pid, 0)` answers, backed by a heartbeat file that the owner
 * touches every HEARTBEAT_INTERVAL_MS: a heartbeat older than HEARTBEAT_STALE_MS means the
 * owner is gone. A workspace on a network drive shared with another host only has the heartbeat.
 */
export const HEARTBEAT_INTERVAL_MS = 15_000;
export const HEARTBEAT_STALE_MS = 4 * HEARTBEAT_INTERVAL_MS;

let cachedBootId: string | undefined | null = null;

export function bootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBootId = undefined;
    }
  }
  return cachedBootId;
}

interface ProcStat {
  state: string;
  startTicks: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Field 2 (comm) is parenthesised and may itself contain spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  return { state: fields[0] ?? '?', startTicks: Number.isFinite(startTicks) ? startTicks : NaN };
}

/** The identity of a live process (this one by default), to be stored with the run. */
export function processIdentity(pid: number = process.pid): ProcessIdentity {
  const id: ProcessIdentity = { pid, host: os.hostname() };
  const boot = bootId();
  if (boot) id.bootId = boot;
  const stat = process.platform === 'linux' ? readProcStat(pid) : undefined;
  if (stat && Number.isFinite(stat.startTicks)) id.startTicks = stat.startTicks;
  return id;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type Liveness = 'alive' | 'dead';

/**
 * Whether the process described by `identity` still runs. `heartbeatMs` is the mtime of the
 * run's heartbeat file (epoch ms), if any; `now` is injectable for tests.
 */
export function processLiveness(identity: ProcessIdentity, heartbeatMs?: number, now: number = Date.now()): Liveness {
  const heartbeatStale = heartbeatMs !== undefined && now - heartbeatMs > HEARTBEAT_STALE_MS;
  if (identity.host !== os.hostname()) return heartbeatStale ? 'dead' : 'alive';
  const boot = bootId();
  if (boot && identity.bootId && boot !== identity.bootId) return 'dead';
  if (process.platform === 'linux' && identity.startTicks !== undefined) {
    const stat = readProcStat(identity.pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return 'dead';
    return stat.startTicks === identity.startTicks ? 'alive' : 'dead';
  }
  if (!pidExists(identity.pid)) return 'dead';
  return heartbeatStale ? 'dead' : 'alive';
}
