import { parseArgs } from 'node:util';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError, type CliCommand } from '../cliCommand';
import { scriptOutput } from '../scriptOutput';
import { launchRun } from '../../core/runs/launchRun';
import { applyOverrides, parseAssignment, readParamsFile } from '../../core/runs/paramsFile';
import { resolveInterpreter } from '../../core/runs/resolveInterpreter';
import { RunStore } from '../../core/runs/RunStore';
import type { ParamsMode } from '../../core/runs/buildChildCommand';
import type { Params } from '../../core/runs/runTypes';
import { formatDuration } from '../../core/runs/formatRun';
import { scalarCaptureFlags } from '../scalarCaptureFlags';
import { snapshotMaxBytesFlag } from '../snapshotMaxBytesFlag';
import { systemMetricsIntervalFlag } from '../systemMetricsIntervalFlag';
import { LAUNCH_FLAGS_USAGE } from '../launchFlagsUsage';
import { logToFlag } from '../logToFlag';
import { runOnTarget } from '../runOnTarget';

const usage = `mlw run <script> [options] [-- script arguments]

Runs a Python training script as a tracked run under .mlw/runs/<run-id>/ of the workspace:
params, metrics (through the mlw_run helper or "mlw: name=value step=N" lines), git state,
output, artifacts. Output is streamed; the exit code is the script's (128+N when killed by
signal N, 130 after Ctrl-C).

A notebook (.ipynb) runs headless in a Jupyter kernel of the interpreter (which needs nbclient
and ipykernel): params go into a cell tagged injected-parameters after the cell tagged
parameters (as papermill does), and the executed notebook, with outputs, is kept as an artifact.

Options:
  --param k=v          a param (repeatable; numbers and true/false are typed)
  --params-file FILE   params from a YAML or JSON file (nested keys flattened with dots), before --param
  --params-mode MODE   how params reach the script: args (--k=v, default), env (MLW_PARAM_K), both
  --experiment NAME    experiment (default: Default)
  --name NAME          run name (default: <script>-<id suffix>)
  --tag k=v            a tag (repeatable)
  --data FILE          a data input to hash into the run (repeatable)
  --python PATH        interpreter (default: $MLW_PYTHON, else python3 on PATH)
  --cwd DIR            working directory (default: the workspace)
  --no-git             do not record git state
  --target NAME        run on a compute target of .mlw/targets.yaml (ssh host, SLURM, kubernetes): see mlw targets
  --dry-run            with a kubernetes target: print the Job (and its ConfigMap) that would be applied, write
                       it to .mlw/targets/NAME.dry-run.yaml; nothing is applied or recorded
${LAUNCH_FLAGS_USAGE}
  --json               print the final run as JSON on stdout (script output goes to stderr)

Example:
  mlw run train.py --param lr=0.01 --param epochs=5 --experiment iris -- --verbose
  mlw run notebook.ipynb --param lr=0.1`;

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run a training script as a tracked experiment run',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        param: { type: 'string', multiple: true },
        'params-file': { type: 'string' },
        'params-mode': { type: 'string' },
        experiment: { type: 'string' },
        name: { type: 'string' },
        tag: { type: 'string', multiple: true },
        data: { type: 'string', multiple: true },
        python: { type: 'string' },
        cwd: { type: 'string' },
        'no-git': { type: 'boolean' },
        'no-capture-scalars': { type: 'boolean' },
        'scalar-pattern': { type: 'string' },
        'snapshot-max-bytes': { type: 'string' },
        'system-metrics-interval': { type: 'string' },
        'log-to': { type: 'string' },
        target: { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    });
    const [script, ...extra] = positionals;
    if (!script) throw new UsageError('missing the script to run');
    const mode = values['params-mode'] ?? 'args';
    if (mode !== 'args' && mode !== 'env' && mode !== 'both') throw new UsageError(`--params-mode must be args, env or both, not ${mode}`);
    const cwd = path.resolve(ctx.workspace, values.cwd ?? '.');
    let params: Params = values['params-file'] ? await readParamsFile(path.resolve(ctx.workspace, values['params-file'])) : {};
    try {
      params = applyOverrides(params, values.param ?? []);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const tags: Record<string, string> = {};
    for (const t of values.tag ?? []) {
      const [k, v] = parseAssignment(t.includes('=') ? t : `${t}=`);
      tags[k] = v === null ? '' : String(v);
    }
    if (values.target) {
      const [k] = (['data', 'log-to', 'no-git'] as const).filter((f) => values[f] !== undefined);
      if (k) throw new UsageError(`--${k} is not supported with --target`);
      const input = { target: values.target, script, args: extra, params, paramsMode: mode as ParamsMode, cwd, tags };
      const dryRun = values['dry-run'];
      const scalars = scalarCaptureFlags(values['no-capture-scalars'], values['scalar-pattern']);
      return runOnTarget({ ...input, experiment: values.experiment, name: values.name, python: values.python, dryRun, scalars }, ctx);
    }
    if (values['dry-run']) throw new UsageError('--dry-run needs --target NAME (a kubernetes target)');
    const scalars = scalarCaptureFlags(values['no-capture-scalars'], values['scalar-pattern']);
    const snapshotMaxBytes = snapshotMaxBytesFlag(values['snapshot-max-bytes']);
    const systemMetricsInterval = systemMetricsIntervalFlag(values['system-metrics-interval']);
    const mirror = logToFlag(values['log-to']);
    const interpreter = await resolveInterpreter(values.python, process.env, cwd);

    const output = scriptOutput(ctx);
    const store = new RunStore(ctx.workspace, ctx.logger);
    const handle = await launchRun(
      {
        store,
        script,
        args: extra,
        interpreter,
        params,
        paramsMode: mode as ParamsMode,
        experiment: values.experiment,
        name: values.name,
        cwd,
        dataInputs: values.data,
        tags,
        git: !values['no-git'],
        scalars,
        snapshotMaxBytes,
        systemMetricsInterval,
        mirror,
        onOutput: output.emit,
      },
      ctx.logger,
      ctx.signal,
    );
    ctx.err(`mlw: run ${handle.id} (${handle.run.name}) started, experiment "${handle.run.experiment}"`);
    const run = await handle.done;
    output.flush();
    const how = run.exitCode !== null ? `exit code ${run.exitCode}` : run.signal ? `signal ${run.signal}` : (run.error ?? '');
    ctx.err(
      `mlw: run ${run.id} ${run.status} after ${formatDuration(run.durationMs)} (${how}) -> ${path.relative(ctx.workspace, handle.dir) || handle.dir}`,
    );
    const mirrored = await handle.mirrored;
    if (mirrored?.error) ctx.err(`mlw: warning: run ${run.id} on the MLflow server is incomplete: ${mirrored.error}`);
    else if (mirrored)
      ctx.err(`mlw: run ${run.id} logged to ${mirrored.url} (${mirrored.metricPoints} metric points, ${mirrored.artifacts} artifacts)`);
    if (ctx.json) ctx.out(JSON.stringify(run, null, 2));
    if (ctx.signal.aborted) return 130;
    if (run.exitCode !== null) return run.exitCode;
    if (run.signal) return 128 + (os.constants.signals[run.signal as NodeJS.Signals] ?? 0);
    return run.status === 'finished' ? 0 : 1;
  },
};
