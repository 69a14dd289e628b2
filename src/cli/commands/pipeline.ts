import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { scriptOutput } from '../scriptOutput';
import { RunStore } from '../../core/runs/RunStore';
import { readPipeline } from '../../core/pipelines/readPipeline';
import { pipelineStatus } from '../../core/pipelines/pipelineStatus';
import { runPipeline } from '../../core/pipelines/runPipeline';

const usage = `mlw pipeline status [--json]
mlw pipeline run [STAGE] [--update-lock] [--no-dvc] [--python PATH]

Reads dvc.yaml of the workspace (foreach and matrix stages expanded, \${} filled from params.yaml
and vars) and compares each stage with dvc.lock: its cmd, the md5 of its deps and outs (DVC 3
hashing; hashes are cached by size and mtime under .mlw/cache/) and its params.

  status        each stage fresh or stale, and why; a stage downstream of a stale one is stale
  run [STAGE]   brings the pipeline (or STAGE and what it depends on) up to date: with
                "dvc repro" when dvc is on PATH; otherwise runs each stale stage in order as a
                tracked run (experiment "pipeline"), with the shell as DVC does, stopping at the
                first failure. Without DVC no DVC cache is written and dvc.lock only with
                --update-lock; ML Workbench records the runs in .mlw/pipelines/lock.json.

Options:
  --update-lock   also write each stage it ran into dvc.lock (without DVC)
  --no-dvc        run the stages itself even when dvc is installed
  --python PATH   the interpreter \`python\` means in stage commands (default: $MLW_PYTHON, else
                  python on PATH, else python3): its folder goes first on PATH, as in an activated venv
  --json          status: {root, stages: [{name, state, reasons, upstream, cmd, lockedBy}], durationMs};
                  run: {via, ok, stages: [{stage, outcome, runId, error}], error}

Exit code: status 0, or 1 when a stage is stale; run 0, or 1 when a stage failed.`;

async function status(ctx: CliContext): Promise<number> {
  const p = await readPipeline(ctx.workspace);
  const st = await pipelineStatus(p);
  if (ctx.json) ctx.out(JSON.stringify(st, null, 2));
  else {
    const width = Math.max(...st.stages.map((s) => s.name.length), 5);
    for (const s of st.stages) ctx.out(`${s.name.padEnd(width)}  ${s.state.padEnd(6)}  ${s.reasons.join('; ')}`.trimEnd());
    const stale = st.stages.filter((s) => s.state === 'stale').length;
    ctx.err(`mlw: ${stale} of ${st.stages.length} stage${st.stages.length === 1 ? '' : 's'} stale (${Math.round(st.durationMs)} ms)`);
  }
  return st.stages.some((s) => s.state === 'stale') ? 1 : 0;
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'update-lock': { type: 'boolean' }, 'no-dvc': { type: 'boolean' }, python: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError(`mlw pipeline run takes one stage, not ${positionals.join(' ')}`);
  const p = await readPipeline(ctx.workspace);
  const output = scriptOutput(ctx);
  const result = await runPipeline(p, {
    store: new RunStore(ctx.workspace, ctx.logger),
    target: positionals[0],
    updateLock: values['update-lock'] === true,
    dvc: values['no-dvc'] ? false : 'auto',
    python: values.python || process.env.MLW_PYTHON || undefined,
    onOutput: output.emit,
    onStage: (e) => {
      output.flush();
      if (e.type === 'skip') ctx.err(`mlw: stage ${e.stage} is fresh, skipped`);
      else if (e.type === 'start') ctx.err(`mlw: stage ${e.stage}: run ${e.runId}`);
      else if (!e.error) ctx.err(`mlw: stage ${e.stage} done`);
    },
    logger: ctx.logger,
    signal: ctx.signal,
  });
  output.flush();
  if (ctx.json) ctx.out(JSON.stringify(result, null, 2));
  if (result.error) ctx.err(`mlw: ${result.error}`);
  return result.ok ? 0 : 1;
}

export const pipelineCommand: CliCommand = {
  name: 'pipeline',
  summary: 'Status of the dvc.yaml pipeline, and run its stale stages',
  usage,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === 'status') {
      if (rest.length) throw new UsageError(`mlw pipeline status takes no arguments (${rest.join(' ')})`);
      return status(ctx);
    }
    if (sub === 'run') return run(rest, ctx);
    throw new UsageError(sub ? `Unknown pipeline command ${sub}: use status or run` : 'mlw pipeline needs status or run');
  },
};
