import { parseArgs } from 'node:util';
import { UsageError, type CliContext } from '../cliCommand';
import { retrainOnCaptures, type RetrainOutcome } from '../../core/registry/retrain/retrainOnCaptures';
import { whoAmI } from '../../core/registry/whoAmI';
import { formatMetric, textTable } from '../../core/runs/formatRun';

export const RETRAIN_USAGE = `mlw registry retrain NAME [--holdout 0.3] [--python PATH] [--script] [--json]`;

export const RETRAIN_HELP = `"retrain" retrains NAME's champion on the requests its server captured (mlw serve NAME@champion --capture 0.1):
the captured rows of .mlw/captures/NAME/ are joined by request id with their labels from
.mlw/captures/NAME/ground-truth.jsonl (one line {"id": "<request id>", "label": 1} per request, an array of one
label per row for a batched one; rows without ground truth are left out and counted), shuffled with a fixed seed
and split into train and held-out rows (--holdout, default 0.3) in a new folder .mlw/retrain/NAME/<stamp>/. The
champion's training script runs again as a new run with the same params plus --recent_data=<that folder>/train;
its model is registered as the next version with alias challenger; the challenger and the champion are evaluated
with onnxruntime on the same held-out rows and both evaluations are recorded, so that a gate such as
"accuracy > champion + 0.01" compares them there. It prints both evaluations and each gate as promote would
decide it; champion does not move (mlw registry promote NAME VERSION does that).

When the champion's model file is an out of a stage of the workspace's dvc.yaml (export's model.onnx), or its
source run is a pipeline stage run, the PIPELINE runs instead of the bare script (--script forces the script), with
ML Workbench's own runner even when DVC is installed: DVC has no per-run param override, and params.yaml is never
rewritten. Each stage that lists recent_data among its params gets --recent_data='<folder>/train' appended to its
cmd, and its run records the param; stages fresh under that value are skipped. dvc.lock is not written (it still
describes the pipeline as params.yaml has it); ML Workbench's record (.mlw/pipelines/lock.json) says the stages ran
with recent_data, so mlw pipeline status shows them stale until the pipeline runs again. The model file the stage
wrote is registered as challenger with the pipeline's metrics; it and the champion are registered by a kept
snapshot under .mlw/ (the champion's path is moved there when it was the workspace file), as the next pipeline run
rewrites that file. The output says which path ran: "pipeline: prepare, train, evaluate, export" or "script train.py".`;

const fmt = (x: number | undefined) => (x === undefined ? '-' : formatMetric(x));

function printRetrain(o: RetrainOutcome, ctx: CliContext): void {
  const r = o.rows;
  ctx.out(
    `${o.name}: ${r.labelled} of ${r.captured} captured rows have ground truth (${r.unlabelled} without${r.mismatched ? `, ${r.mismatched} with a label count other than their rows` : ''}): ${r.train} trained on, ${r.holdout} held out (${o.dataset.path})`,
  );
  ctx.out(o.ran);
  ctx.out(`run ${o.runId} finished`);
  const names = [...new Set([...Object.keys(o.candidate.metrics), ...Object.keys(o.champion.metrics)])].filter((k) => k !== 'rows');
  ctx.out(
    textTable(
      ['METRIC', `CHALLENGER v${o.candidate.version}`, `CHAMPION v${o.champion.version}`],
      [
        ...names.map((k) => [k, fmt(o.candidate.metrics[k]), fmt(o.champion.metrics[k])]),
        ['rows', fmt(o.candidate.metrics.rows), fmt(o.champion.metrics.rows)],
      ],
    ),
  );
  ctx.out(`registered ${o.name} version ${o.candidate.version} as challenger (run ${o.runId})`);
  if (!o.gates.length) ctx.out(`no gates declared for ${o.name} in mlw.yaml`);
  else
    ctx.out(
      textTable(
        ['GATE', 'RESULT', 'NUMBERS'],
        o.gates.map((g) => [g.gate, g.passed ? 'pass' : 'FAIL', g.detail]),
      ),
    );
  const failed = o.gates.filter((g) => !g.passed).length;
  ctx.out(
    failed
      ? `${failed} of ${o.gates.length} gates fail: mlw registry promote ${o.name} ${o.candidate.version} would refuse`
      : `promote it with: mlw registry promote ${o.name} ${o.candidate.version}`,
  );
}

/** `mlw registry retrain NAME`: exit 0 when the challenger is registered; errors are thrown (one line, exit 1). */
export async function retrainCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { holdout: { type: 'string' }, python: { type: 'string' }, seed: { type: 'string' }, script: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError(`expected NAME: ${RETRAIN_USAGE}`);
  const [name] = positionals;
  let holdout: number | undefined;
  if (values.holdout !== undefined) {
    holdout = Number(values.holdout);
    if (!(values.holdout.trim() !== '' && holdout > 0 && holdout < 1))
      throw new UsageError(`--holdout must be a fraction in (0, 1), e.g. 0.3, got "${values.holdout}"`);
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got "${values.seed}"`);
  }
  const o = await retrainOnCaptures({
    workspace: ctx.workspace,
    name,
    holdout,
    seed,
    python: values.python,
    script: values.script,
    signal: ctx.signal,
    by: await whoAmI(ctx.workspace),
    logger: ctx.logger,
    // The run's output goes to stderr, so that --json keeps stdout to one document.
    onLine: (line) => ctx.err(line),
  });
  if (ctx.json) ctx.out(JSON.stringify(o, null, 2));
  else printRetrain(o, ctx);
  return 0;
}
