import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../cliCommand';
import { scriptOutput } from '../scriptOutput';
import { RunQueue } from '../../core/runs/RunQueue';
import { expandSweep, SweepError, type RandomRange, type SweepSpec } from '../../core/runs/expandSweep';
import { parseGridEntry, parseRandomEntry } from '../../core/runs/parseSweepArgs';
import { resolveInterpreter } from '../../core/runs/resolveInterpreter';
import { RunStore } from '../../core/runs/RunStore';
import type { ParamValue, Run } from '../../core/runs/runTypes';
import { scalarCaptureFlags } from '../scalarCaptureFlags';
import { snapshotMaxBytesFlag } from '../snapshotMaxBytesFlag';
import { systemMetricsIntervalFlag } from '../systemMetricsIntervalFlag';
import { LAUNCH_FLAGS_USAGE } from '../launchFlagsUsage';
import { logToFlag } from '../logToFlag';
import { planStudy, runStudySweep, type StudyPlan } from '../studySweep';
import { printSweepRuns } from '../printSweepRuns';
import { loadSweepTarget, sweepOnTarget } from '../sweepOnTarget';
import { SpaceError } from '../../core/sweeps/searchSpace';

const usage = `mlw sweep <script> (--grid k=v1,v2,... [--grid ...] | --random k=min:max[:log] ... --count N) [options]
mlw sweep <script> --method tpe|random --space k=SPEC [--space ...] --trials N --objective METRIC:min|max [--prune median] [options]

Runs a Python training script once per param set of a sweep, as tracked runs of one
experiment under .mlw/runs/. Prints a table of the runs with their params and final metrics.
Exit code 0 when every run finished (or was pruned), 1 otherwise (130 after Ctrl-C).

With --method tpe (Bayesian, Optuna's TPE) or --method random and --space, an Optuna study
suggests each trial from the results so far (needs Optuna: Debian python3-optuna). The study
lives in .mlw/studies/<study>.db: running again with the same --study continues it up to
--trials. The objective is the last value of METRIC the trial logged.

Options:
  --grid k=v1,v2,...   a grid parameter (repeatable): every combination runs
  --random k=min:max[:log]
                       a random parameter (repeatable), sampled uniformly (in log space with :log)
  --count N            number of runs of a random sweep
  --seed S             seed of a random sweep or study sampler (default 0): same seed, same param sets
  --method tpe|random  an Optuna study over --space (grid and random sweeps need no --method)
  --space k=SPEC       a study parameter (repeatable): a:b float, a:b:log log-uniform, a:b:int
                       integers, x,y,z one of the values
  --trials N           the study's size (trials counted so far included)
  --objective M:min|max
                       the metric to minimise or maximise (its last logged value)
  --prune median[:S[:W]]
                       stop a trial whose objective falls behind the median of earlier trials at
                       the same step (after S trials, default 5, and W warm-up steps, default 0);
                       it ends "pruned" with its data kept
  --study NAME         the study's name (default: the script's name)
  --parallel N         runs at once (default 1; with --target and --grid/--random, all)
  --target NAME        run the trials on a compute target of .mlw/targets.yaml: on a SLURM target
                       ONE job array (sbatch --array=0-(N-1)%P, the code uploaded once; trial i is
                       job ARRAYID_i, stopped alone with mlw runs stop or scancel ARRAYID_i); on a
                       kubernetes target ONE Indexed Job (one kubectl apply, --parallel pods at once;
                       trial i is pod index i, stopped alone by deleting its pod); on an ssh host or
                       docker target (a container per trial) --parallel runs at a time (default: all);
                       study trials are remote runs submitted as the study asks for them
  --experiment NAME    experiment (default: sweep-<id>)
  --python PATH        interpreter (default: $MLW_PYTHON, else python3 on PATH)
${LAUNCH_FLAGS_USAGE}
  --json               print the final runs as JSON on stdout (script output goes to stderr)

Examples:
  mlw sweep train.py --grid lr=0.1,0.01 --grid epochs=3,5 --parallel 2
  mlw sweep train.py --grid lr=0.1,0.01,0.001 --grid layers=2,4 --target cluster --parallel 4
  mlw sweep train.py --method tpe --space lr=1e-5:1e-1:log --space layers=2,4,8 --trials 40 --parallel 4 --objective val_loss:min --prune median`;

function positiveInt(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${option} must be a positive integer, not ${text}`);
  return n;
}

export const sweepCommand: CliCommand = {
  name: 'sweep',
  summary: 'Run a grid, random or Bayesian (Optuna TPE) hyper-parameter sweep of a training script',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        grid: { type: 'string', multiple: true },
        random: { type: 'string', multiple: true },
        count: { type: 'string' },
        seed: { type: 'string' },
        parallel: { type: 'string' },
        experiment: { type: 'string' },
        python: { type: 'string' },
        'no-capture-scalars': { type: 'boolean' },
        'scalar-pattern': { type: 'string' },
        'snapshot-max-bytes': { type: 'string' },
        'system-metrics-interval': { type: 'string' },
        'log-to': { type: 'string' },
        method: { type: 'string' },
        space: { type: 'string', multiple: true },
        trials: { type: 'string' },
        objective: { type: 'string' },
        prune: { type: 'string' },
        study: { type: 'string' },
        target: { type: 'string' },
      },
    });
    const [script, ...extra] = positionals;
    if (!script) throw new UsageError('missing the script to run');
    const grid = values.grid ?? [];
    const random = values.random ?? [];
    const method = values.method;
    if (method !== undefined && !['grid', 'random', 'tpe'].includes(method))
      throw new UsageError(`--method must be grid, random or tpe, not ${method}`);
    const space = values.space ?? [];
    const studyOnly = ['trials', 'objective', 'prune', 'study'] as const;
    if (method === 'tpe' || space.length) {
      if (method === 'grid' || method === undefined) throw new UsageError('--space is for --method tpe or --method random');
      if (grid.length || random.length || values.count !== undefined)
        throw new UsageError(`--method ${method} takes --space, not --grid, --random or --count`);
      if (!space.length) throw new UsageError(`--method ${method} needs at least one --space name=SPEC`);
    } else {
      for (const k of studyOnly) if (values[k] !== undefined) throw new UsageError(`--${k} applies to --method tpe or random with --space`);
      if (method === 'grid' && random.length) throw new UsageError('--method grid takes --grid');
      if (method === 'random' && grid.length) throw new UsageError('--method random takes --random or --space');
    }
    const parallelism = positiveInt(values.parallel, '--parallel', 1);
    if (values.target !== undefined) {
      const [k] = (['log-to', 'system-metrics-interval'] as const).filter((f) => values[f] !== undefined);
      if (k) throw new UsageError(`--${k} is not supported with --target`);
    }
    const target = values.target === undefined ? undefined : await loadSweepTarget(ctx.workspace, values.target, values.python);
    if (space.length) {
      let plan: StudyPlan;
      try {
        plan = planStudy({ ...values, method: method as 'tpe' | 'random', space, parallel: parallelism, script });
      } catch (e) {
        if (!(e instanceof SpaceError)) throw e;
        ctx.err(`mlw sweep: ${e.message}`); // one line naming the token
        return 2;
      }
      const cwd = ctx.workspace;
      const interpreter = await resolveInterpreter(values.python, process.env, cwd);
      if (target)
        return runStudySweep(
          plan,
          {
            store: new RunStore(ctx.workspace, ctx.logger),
            script,
            args: extra,
            interpreter,
            cwd,
            target,
            scalars: scalarCaptureFlags(values['no-capture-scalars'], values['scalar-pattern']),
          },
          parallelism,
          values.experiment,
          ctx,
        );
      return runStudySweep(
        plan,
        {
          store: new RunStore(ctx.workspace, ctx.logger),
          script,
          args: extra,
          interpreter,
          cwd,
          scalars: scalarCaptureFlags(values['no-capture-scalars'], values['scalar-pattern']),
          snapshotMaxBytes: snapshotMaxBytesFlag(values['snapshot-max-bytes']),
          systemMetricsInterval: systemMetricsIntervalFlag(values['system-metrics-interval']),
          mirror: logToFlag(values['log-to']),
        },
        parallelism,
        values.experiment,
        ctx,
      );
    }
    if (grid.length && random.length) throw new UsageError('give --grid or --random, not both');
    if (!grid.length && !random.length) throw new UsageError('give at least one --grid or --random parameter');
    let spec: SweepSpec;
    try {
      if (grid.length) {
        if (values.count !== undefined || values.seed !== undefined)
          throw new UsageError('--count and --seed apply to --random sweeps only');
        const g: Record<string, ParamValue[]> = {};
        for (const entry of grid) {
          const [k, v] = parseGridEntry(entry);
          g[k] = v;
        }
        spec = { grid: g };
      } else {
        if (values.count === undefined) throw new UsageError('a --random sweep needs --count N');
        const seed = values.seed === undefined ? 0 : Number(values.seed);
        if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, not ${values.seed}`);
        const r: Record<string, RandomRange> = {};
        for (const entry of random) {
          const [k, v] = parseRandomEntry(entry);
          r[k] = v;
        }
        spec = { random: r, count: positiveInt(values.count, '--count', 1), seed };
      }
      expandSweep(spec); // validate before anything is recorded
    } catch (e) {
      if (e instanceof SweepError) throw new UsageError(e.message);
      throw e;
    }

    if (target)
      return sweepOnTarget(
        {
          target,
          script,
          args: extra,
          spec,
          parallel: values.parallel === undefined ? undefined : parallelism,
          experiment: values.experiment,
          snapshotMaxBytes: snapshotMaxBytesFlag(values['snapshot-max-bytes']),
          scalars: scalarCaptureFlags(values['no-capture-scalars'], values['scalar-pattern']),
        },
        ctx,
      );
    const scalars = scalarCaptureFlags(values['no-capture-scalars'], values['scalar-pattern']);
    const snapshotMaxBytes = snapshotMaxBytesFlag(values['snapshot-max-bytes']);
    const systemMetricsInterval = systemMetricsIntervalFlag(values['system-metrics-interval']);
    const mirror = logToFlag(values['log-to']);
    const cwd = ctx.workspace;
    const interpreter = await resolveInterpreter(values.python, process.env, cwd);
    const store = new RunStore(ctx.workspace, ctx.logger);
    const output = scriptOutput(ctx);
    const queue = new RunQueue({
      parallelism,
      logger: ctx.logger,
      onChange: (id, status) => {
        if (status !== 'queued') ctx.err(`mlw: run ${id} ${status}`);
      },
    });
    const ids = await queue.enqueueSweep(
      {
        store,
        script,
        args: extra,
        interpreter,
        experiment: values.experiment,
        cwd,
        scalars,
        snapshotMaxBytes,
        systemMetricsInterval,
        mirror,
        onOutput: output.emit,
      },
      spec,
    );
    ctx.err(`mlw: sweep of ${ids.length} runs, ${parallelism} at a time`);
    const onAbort = () => void queue.cancelAll();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let runs: Run[];
    try {
      runs = await Promise.all(ids.map((id) => queue.result(id) as Promise<Run>));
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }

    output.flush();
    printSweepRuns(runs, ctx);
    if (ctx.signal.aborted) return 130;
    return runs.every((r) => r.status === 'finished') ? 0 : 1;
  },
};
