import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { findRun, listWorkspaceRuns, readRunMetrics, RunNotFoundError } from '../../core/runs/listWorkspaceRuns';
import { sqliteTrackingUri } from '../../core/runs/mlflowSqlite/sqliteTrackingUri';
import { readLogged } from '../../core/runs/readLogged';
import { readMetrics } from '../../core/runs/readMetrics';
import { runListJson, runShowJson } from '../../core/runs/runJson';
import { RunStore } from '../../core/runs/RunStore';
import { bestValue, lowerIsBetter, summarizeMetrics } from '../../core/runs/summarizeMetrics';
import { formatDuration, formatMetric, formatTime, textTable } from '../../core/runs/formatRun';
import { formatBytes } from '../../core/format/formatBytes';
import type { MetricSummary, Run } from '../../core/runs/runTypes';
import { pushRunCommand } from './runsPush';
import { serverRunFromEnv, serverRunsFromEnv } from './serverRunsFromEnv';
import { isSystemMetric } from '../../core/runs/systemMetrics/systemMetricNames';

const usage = `mlw runs [--experiment NAME] [--status STATUS] [--limit N] [--json]
mlw runs show <run-id> [--json]
mlw runs push <run-id> --to URL [--token T] [--experiment NAME] [--json]

Lists the workspace's runs, newest first: ML Workbench runs (.mlw/runs), MLflow runs
(the file store mlruns/, the SQLite store mlflow.db, and the SQLite store MLFLOW_TRACKING_URI=sqlite:///...
names), TensorBoard logs (folders holding events.out.tfevents.* files) and, when MLFLOW_TRACKING_URI
is an http(s) URL, the runs of that MLflow tracking server (source mlflow-server; auth from
MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD). A run whose
launcher died while it ran is shown as interrupted.
"show" prints one run's metadata and, per metric, the last and best values (best = lowest for
loss/error-like names, else highest). A run id may be shortened to a unique prefix or suffix.
"push" sends an ended run to an MLflow tracking server as a new run there (params, tags, every
metric's history in runs/log-batch calls, artifacts) and prints the new run's id and its URL.

Options:
  --experiment NAME   only runs of this experiment
  --status STATUS     only runs with this status (queued, running, finished, failed, stopped, interrupted)
  --limit N           at most N runs (default: all)
  --to URL            push: the tracking server, e.g. http://mlflow.example.com:5000
  --token T           push: the server's token (default: MLFLOW_TRACKING_TOKEN; else basic auth
                      from MLFLOW_TRACKING_USERNAME/PASSWORD)
  --experiment NAME   push: the server experiment to push into (default: the run's; made if missing)
  --json              one JSON document. List: an array of runs, each with id, name, status, source
                      (mlw, mlflow-file, mlflow-sqlite, mlflow-server, tensorboard) and metrics
                      (metrics.NAME.last is the last value). show: {id, name, status, source, experiment,
                      params, tags, metrics: {NAME: {last, best, ..., series: [{step, value, time}]}},
                      artifacts: [{path, sha256, size, stored}], run}. push: {localRunId, server, runId,
                      experimentId, experiment, url, params, tags, metricPoints, batches, artifacts,
                      skippedArtifacts}`;

/** The SQLite store MLFLOW_TRACKING_URI names (relative to the current directory, as MLflow reads it). */
function mlflowDbs(): string[] {
  const db = sqliteTrackingUri(process.env.MLFLOW_TRACKING_URI, process.cwd());
  return db ? [db] : [];
}

function metricsCell(run: Run): string {
  // The script's metrics first, then the sampled system/* ones.
  const all = Object.entries(run.metrics ?? {});
  const entries = [...all.filter(([k]) => !isSystemMetric(k)), ...all.filter(([k]) => isSystemMetric(k))];
  const shown = entries.slice(0, 3).map(([k, m]) => `${k}=${formatMetric(m.last)}`);
  return shown.join(' ') + (entries.length > 3 ? ` (+${entries.length - 3})` : '');
}

async function list(values: { experiment?: string; status?: string; limit?: string }, ctx: CliContext): Promise<number> {
  // Every metric's last value, as the CLI contract says: TensorBoard logs are read whole here.
  let runs = await listWorkspaceRuns(ctx.workspace, {
    logger: ctx.logger,
    signal: ctx.signal,
    tensorboardSummaryBytes: Infinity,
    mlflowDbs: mlflowDbs(),
  });
  runs = [...runs, ...(await serverRunsFromEnv(ctx))];
  if (values.experiment !== undefined) runs = runs.filter((r) => r.experiment === values.experiment);
  if (values.status !== undefined) runs = runs.filter((r) => r.status === values.status);
  if (values.limit !== undefined) {
    const n = Number(values.limit);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--limit must be a whole number, not ${values.limit}`);
    runs = runs.slice(0, n);
  }
  // A run still going (or cut off) has no summary in run.json yet: take its last values from its metrics log.
  const store = new RunStore(ctx.workspace, ctx.logger);
  for (const r of runs)
    if (r.source === 'mlw' && !r.metrics && (r.status === 'running' || r.status === 'interrupted')) {
      const summary = summarizeMetrics((await readMetrics(store.runDir(r.id))).series);
      if (Object.keys(summary).length) r.metrics = summary;
    }
  if (ctx.json) {
    ctx.out(JSON.stringify(runs.map(runListJson), null, 2));
    return 0;
  }
  if (!runs.length) {
    ctx.out('No runs. Start one with: mlw run <script.py>');
    return 0;
  }
  const withSource = runs.some((r) => r.source !== 'mlw');
  const header = ['ID', 'STATUS', 'EXPERIMENT', 'NAME', 'STARTED', 'DURATION', ...(withSource ? ['SOURCE'] : []), 'METRICS'];
  const rows = runs.map((r) => [
    r.id,
    r.status,
    r.experiment,
    r.name,
    formatTime(r.startTime ?? r.createdTime),
    formatDuration(r.durationMs ?? (r.status === 'running' && r.startTime ? Date.now() - r.startTime : null)),
    ...(withSource ? [r.source] : []),
    metricsCell(r),
  ]);
  ctx.out(textTable(header, rows));
  return 0;
}

async function show(id: string, ctx: CliContext): Promise<number> {
  const store = new RunStore(ctx.workspace, ctx.logger);
  const dbs = mlflowDbs();
  const run = await findRun(ctx.workspace, id, { logger: ctx.logger, store, signal: ctx.signal, mlflowDbs: dbs }).catch(
    async (e: unknown) => {
      // Not in the workspace: a run of the tracking server MLFLOW_TRACKING_URI names, by its full id.
      const remote = e instanceof RunNotFoundError ? await serverRunFromEnv(id, ctx) : undefined;
      if (!remote) throw e;
      return remote;
    },
  );
  if (run.source === 'mlw' && (run.status === 'running' || run.status === 'interrupted')) {
    // Not finalized by a launcher (yet): add what the script has declared so far.
    const logged = await readLogged(store.runDir(run.id));
    run.params = { ...run.params, ...logged.params };
    run.tags = { ...run.tags, ...logged.tags };
  }
  // Fresh numbers from the metrics log: the summary in run.json is written only when a run ends.
  const series = await readRunMetrics(ctx.workspace, run, store, { mlflowDbs: dbs });
  if (ctx.json) {
    ctx.out(JSON.stringify(runShowJson(run, series), null, 2));
    return 0;
  }
  const summary: Record<string, MetricSummary> = summarizeMetrics(series);
  const metrics = Object.fromEntries(
    Object.entries(summary).map(([k, m]) => [k, { ...m, best: bestValue(k, m), lowerIsBetter: lowerIsBetter(k) }]),
  );
  const lines: Array<[string, string]> = [
    ['id', run.id],
    ['name', run.name],
    ['experiment', run.experiment],
    ['status', run.status + (run.exitCode !== null ? ` (exit code ${run.exitCode})` : run.signal ? ` (${run.signal})` : '')],
    ['source', run.source],
    ['started', formatTime(run.startTime)],
    ['ended', formatTime(run.endTime)],
    ['duration', formatDuration(run.durationMs)],
    ['command', run.command.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ') || '-'],
    ['cwd', run.cwd || '-'],
  ];
  if (run.git)
    lines.push([
      'git',
      `${run.git.commit?.slice(0, 12) ?? '(no commit)'}${run.git.branch ? ` on ${run.git.branch}` : ''}${run.git.dirty ? ` dirty${run.git.diffHash ? ` (diff ${run.git.diffHash.slice(0, 12)}, ${run.git.patchFile})` : ''}` : ''}`,
    ]);
  if (run.error) lines.push(['error', run.error]);
  if (run.notes) lines.push(['notes', run.notes]);
  const width = Math.max(...lines.map(([k]) => k.length));
  const out: string[] = lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  const section = (title: string, entries: string[]) => {
    if (entries.length) out.push('', `${title}:`, ...entries.map((e) => `  ${e}`));
  };
  section(
    'params',
    Object.entries(run.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
  );
  section(
    'tags',
    Object.entries(run.tags).map(([k, v]) => `${k} = ${v}`),
  );
  section(
    'data inputs',
    run.dataInputs.map((f) => `${f.path}  ${formatBytes(f.size)}  sha256:${f.sha256.slice(0, 16)}`),
  );
  section(
    'artifacts',
    run.artifacts.map(
      (f) =>
        `${f.path}  ${formatBytes(f.size)}${f.sha256 ? `  sha256:${f.sha256.slice(0, 16)}` : ''}${f.stored && f.stored !== f.path ? `  (${f.stored.startsWith('.mlw/blobs/') ? 'snapshot' : 'copy'}: ${f.stored})` : f.snapshot === 'skipped-too-large' ? '  (too large to snapshot: hash only)' : ''}`,
    ),
  );
  const metricRows = Object.entries(metrics).map(([k, m]) => [
    k,
    formatMetric(m.last),
    String(m.step),
    formatMetric(m.best),
    formatMetric(m.min),
    formatMetric(m.max),
    String(m.count),
  ]);
  if (metricRows.length) out.push('', textTable(['METRIC', 'LAST', 'STEP', 'BEST', 'MIN', 'MAX', 'POINTS'], metricRows));
  if (run.outputTail && run.status === 'failed')
    out.push(
      '',
      'output (last lines):',
      ...run.outputTail
        .trimEnd()
        .split('\n')
        .slice(-15)
        .map((l) => `  ${l}`),
    );
  ctx.out(out.join('\n'));
  return 0;
}

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'List experiment runs (incl. MLflow), or show one',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        experiment: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        to: { type: 'string' },
        token: { type: 'string' },
      },
    });
    if (positionals.length === 0) return list(values, ctx);
    if (positionals[0] === 'show') {
      if (positionals.length !== 2) throw new UsageError('usage: mlw runs show <run-id>');
      return show(positionals[1], ctx);
    }
    if (positionals[0] === 'push') {
      if (positionals.length !== 2) throw new UsageError('usage: mlw runs push <run-id> --to URL');
      return pushRunCommand(positionals[1], values, ctx, mlflowDbs());
    }
    throw new UsageError(`unknown subcommand "${positionals[0]}"`);
  },
};
