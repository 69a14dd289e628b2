import * as path from 'node:path';
import { UsageError, type CliContext } from './cliCommand';
import { scriptOutput } from './scriptOutput';
import type { ParamsMode } from '../core/runs/buildChildCommand';
import { formatDuration } from '../core/runs/formatRun';
import { RunStore } from '../core/runs/RunStore';
import type { Params } from '../core/runs/runTypes';
import { findTarget, loadTargets } from '../core/targets/loadTargets';
import { submitRemoteRun } from '../core/targets/submitRemoteRun';
import { describeTargetState } from '../core/targets/describeTargetState';
import { printKubernetesDryRun } from './printKubernetesDryRun';
import type { ScalarCaptureOptions } from '../core/runs/ScalarCapture';

export interface TargetRunInput {
  target: string;
  script: string;
  args: string[];
  params: Params;
  paramsMode: ParamsMode;
  experiment?: string;
  name?: string;
  cwd: string;
  tags: Record<string, string>;
  python?: string;
  /** Render the target's Job without applying it (kubernetes targets). */
  dryRun?: boolean;
  /** --no-capture-scalars / --scalar-pattern. */
  scalars?: ScalarCaptureOptions;
}

/** `mlw run SCRIPT --target NAME`: the run goes to the target; output and state changes are printed as they come. */
export async function runOnTarget(input: TargetRunInput, ctx: CliContext): Promise<number> {
  const parsed = await loadTargets(ctx.workspace);
  let target;
  try {
    target = findTarget(parsed, input.target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (input.python) target = { ...target, python: input.python };
  const store = new RunStore(ctx.workspace, ctx.logger);
  if (input.dryRun) return printKubernetesDryRun(target, store, input, ctx);
  const output = scriptOutput(ctx);
  let last = '';
  const handle = await submitRemoteRun({
    store,
    target,
    script: input.script,
    args: input.args,
    params: input.params,
    paramsMode: input.paramsMode,
    experiment: input.experiment,
    name: input.name,
    cwd: input.cwd,
    tags: input.tags,
    scalars: input.scalars,
    onOutput: (text) => output.emit(text, 'stdout'),
    onState: (s) => {
      const line = describeTargetState(s);
      if (line !== last) ctx.err(`mlw: ${line}${s.unreachableSince ? ' (the run goes on there)' : ''}`);
      last = line;
    },
    logger: ctx.logger,
    signal: ctx.signal,
  });
  ctx.err(`mlw: run ${handle.id} (${handle.run.name}) submitted: ${describeTargetState(handle.run.target!)}`);
  const onAbort = () => void handle.stop();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const run = await handle.done;
  ctx.signal.removeEventListener('abort', onAbort);
  output.flush();
  const how = run.error ?? (run.exitCode !== null ? `exit code ${run.exitCode}` : '');
  ctx.err(
    `mlw: run ${run.id} ${run.status} after ${formatDuration(run.durationMs)} (${how}) -> ${path.relative(ctx.workspace, handle.dir)}`,
  );
  if (ctx.json) ctx.out(JSON.stringify(run, null, 2));
  if (ctx.signal.aborted) return 130;
  if (run.exitCode !== null && run.exitCode !== 0) return run.exitCode;
  return run.status === 'finished' ? 0 : 1;
}
