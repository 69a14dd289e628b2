import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../logger';
import { finishRun, type ChildOutcome } from '../runs/finishRun';
import { MetricsWriter } from '../runs/MetricsWriter';
import type { RunStore } from '../runs/RunStore';
import { ScalarCapture } from '../runs/ScalarCapture';
import { METRICS_FILE, OUTPUT_FILE, type Run } from '../runs/runTypes';
import { OUTPUTS_DIR } from './remoteRunTypes';

/**
 * Ends a remote run (ssh, SLURM, docker, kubernetes) once its output, metrics and folder are back in `dir`: its
 * status from `outcome`, the last of its output as the tail, the files copied back into `outputs/` as its artifacts.
 */
export async function finishRemoteRun(o: {
  store: RunStore;
  run: Run;
  dir: string;
  outcome: ChildOutcome;
  stopRequested: boolean;
  /** The run asked to be pruned. */
  pruned?: boolean;
  targetName: string;
  snapshotMaxBytes?: number;
  logger: Logger;
}): Promise<Run> {
  const { dir, logger } = o;
  await fsp.mkdir(path.join(dir, OUTPUTS_DIR), { recursive: true });
  const writer = await MetricsWriter.open(path.join(dir, METRICS_FILE));
  const output = await fsp.readFile(path.join(dir, OUTPUT_FILE), 'utf8').catch(() => '');
  // Printed scalars, read once from the whole synced log: nothing lost across a dropped link or a re-attach, nothing doubled.
  const capture = new ScalarCapture(
    o.run.target?.scalars,
    (points) => void writer.append(points),
    (message) => logger.warn(`Run ${o.run.id}: ${message}`),
  );
  capture.push(output, 'stdout');
  capture.end();
  const tail = output.slice(-2500);
  const final = await finishRun({
    store: o.store,
    run: o.run,
    writer,
    outcome: o.outcome,
    stopRequested: o.stopRequested,
    ...(o.pruned === undefined ? {} : { pruned: o.pruned }),
    tail,
    cwd: path.join(dir, OUTPUTS_DIR),
    before: new Map(),
    scan: {},
    snapshotMaxBytes: o.snapshotMaxBytes,
    logger,
  });
  logger.info(`Run ${o.run.id} on ${o.targetName} ${final.status}${final.error ? `: ${final.error}` : ''}`);
  return final;
}
