import { UsageError, type CliContext } from './cliCommand';
import { printSweepRuns } from './printSweepRuns';
import { scriptOutput } from './scriptOutput';
import { expandSweep, type SweepSpec } from '../core/runs/expandSweep';
import { RunStore } from '../core/runs/RunStore';
import type { Run } from '../core/runs/runTypes';
import { describeTargetState } from '../core/targets/describeTargetState';
import { findTarget, loadTargets } from '../core/targets/loadTargets';
import { submitRemoteSweep } from '../core/targets/submitRemoteSweep';
import type { ScalarCaptureOptions } from '../core/runs/ScalarCapture';
import type { Target } from '../core/targets/targetTypes';

/** The target of `--target NAME` (an unknown name is a usage error naming the declared ones), `--python` overriding its interpreter. */
export async function loadSweepTarget(workspace: string, name: string, python?: string): Promise<Target> {
  const parsed = await loadTargets(workspace);
  let target: Target;
  try {
    target = findTarget(parsed, name);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const kind: string = target.kind;
  if (!['ssh', 'slurm', 'docker', 'kubernetes'].includes(kind))
    throw new UsageError(`target ${name} is a ${kind} target: sweeps run on ssh, slurm, docker and kubernetes targets`);
  return python ? { ...target, python } : target;
}

export interface TargetSweepInput {
  target: Target;
  script: string;
  args: string[];
  spec: SweepSpec;
  parallel?: number;
  experiment?: string;
  snapshotMaxBytes?: number;
  /** --no-capture-scalars / --scalar-pattern. */
  scalars?: ScalarCaptureOptions;
}

/**
 * `mlw sweep SCRIPT --grid … --target NAME`: one SLURM job array (one upload, one sbatch), one Indexed Job on a
 * kubernetes target (one kubectl apply), or up to --parallel remote runs at a time on an ssh host or docker target (one
 * container per trial);
 * prints each trial's job and state changes, then the table of runs. Ctrl-C cancels
 * every trial; stopping one (`mlw runs stop ID`, `scancel ARRAYID_i`) leaves the others going.
 */
export async function sweepOnTarget(input: TargetSweepInput, ctx: CliContext): Promise<number> {
  const store = new RunStore(ctx.workspace, ctx.logger);
  const output = scriptOutput(ctx);
  const sets = expandSweep(input.spec);
  const last = new Map<string, string>();
  const started = Date.now();
  const sweep = await submitRemoteSweep({
    store,
    target: input.target,
    script: input.script,
    args: input.args,
    paramSets: sets,
    parallel: input.parallel,
    experiment: input.experiment,
    cwd: ctx.workspace,
    snapshotMaxBytes: input.snapshotMaxBytes,
    scalars: input.scalars,
    onOutput: (text) => output.emit(text, 'stdout'),
    onState: (s) => {
      const key = s.jobId ?? s.remoteDir;
      const line = describeTargetState(s);
      if (last.get(key) !== line) ctx.err(`mlw: ${line}${s.unreachableSince ? ' (the trial goes on there)' : ''}`);
      last.set(key, line);
    },
    onTrial: (i, h) => {
      last.set(h.run.target!.jobId ?? h.run.target!.remoteDir, describeTargetState(h.run.target!));
      ctx.err(`mlw: trial ${i + 1}/${sets.length} run ${h.id} (${h.run.name}) ${describeTargetState(h.run.target!)}`);
    },
    logger: ctx.logger,
    signal: ctx.signal,
  });
  if (sweep.arrayJobId)
    ctx.err(
      `mlw: sweep of ${sets.length} trials submitted to ${input.target.name} as job array ${sweep.arrayJobId} (${input.parallel ?? sets.length} at a time) in ${Date.now() - started} ms; experiment ${sweep.experiment}`,
    );
  else
    ctx.err(
      `mlw: sweep of ${sets.length} trials on ${input.target.name}, ${input.parallel ?? sets.length} at a time; experiment ${sweep.experiment}`,
    );
  const onAbort = () => void sweep.stopAll();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let runs: Run[];
  try {
    runs = await sweep.done;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  output.flush();
  printSweepRuns(runs, ctx);
  if (ctx.signal.aborted) return 130;
  return runs.length === sets.length && runs.every((r) => r.status === 'finished') ? 0 : 1;
}
