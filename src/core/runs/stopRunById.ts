import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { processLiveness } from './processLiveness';
import type { RunStore } from './RunStore';
import type { Run } from './runTypes';

/** Marker file: its presence tells the launcher that the run was stopped on purpose. */
export const STOP_FILE = 'stop-requested';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

/**
 * Stops a running run from any process on the same host, e.g. one launched before the extension
 * host restarted: SIGTERM to the child's process group, SIGKILL after `graceMs`. If the launcher
 * is still alive it records the outcome (as `stopped`, thanks to the marker file); if it is gone,
 * this function records `stopped` itself.
 */
export async function stopRunById(
  store: RunStore,
  id: string,
  options: { graceMs?: number; logger?: Logger } = {},
): Promise<Run | undefined> {
  const logger = options.logger ?? silentLogger;
  const run = await store.readRawRun(id);
  if (!run || run.status !== 'running') return run && store.withLiveStatus(run);
  const dir = store.runDir(id);
  await fsp.writeFile(path.join(dir, STOP_FILE), String(Date.now()));
  const child = run.owner?.child;
  if (child && processLiveness(child) === 'alive') {
    signalGroup(child.pid, 'SIGTERM');
    const deadline = Date.now() + (options.graceMs ?? 5000);
    while (processLiveness(child) === 'alive' && Date.now() < deadline) await sleep(100);
    if (processLiveness(child) === 'alive') {
      logger.info(`Run ${id}: still alive after the grace period, sending SIGKILL`);
      signalGroup(child.pid, 'SIGKILL');
    }
  }
  const launcher = run.owner?.launcher;
  if (launcher && processLiveness(launcher) === 'alive') {
    // The launcher notices the exit and writes the final status.
    for (let i = 0; i < 100; i++) {
      const now = await store.readRawRun(id);
      if (now && now.status !== 'running') return now;
      await sleep(100);
    }
    return store.readRun(id);
  }
  return store.updateRun(id, (r) => {
    r.status = 'stopped';
    r.endTime = Date.now();
    r.durationMs = r.endTime - (r.startTime ?? r.endTime);
    r.error = 'Stopped after the process that launched it was gone';
  });
}
