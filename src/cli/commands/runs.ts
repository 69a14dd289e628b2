import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { findRun, listWorkspaceRuns, readRunMetrics } from '../../core/runs/listWorkspaceRuns';
import { readLogged } from '../../core/runs/readLogged';
import { RunStore } from '../../core/runs/RunStore';
import { bestValue, lowerIsBetter, summarizeMetrics } from '../../core/runs/summarizeMetrics';
import { formatDuration, formatMetric, formatTime, textTable } from '../../core/runs/formatRun';
import { formatBytes } from '../../core/format/formatBytes';
import type { MetricSummary, Run } from '../../core/runs/runTypes';

const usage = `mlw runs [--experiment NAME] [--status STATUS] [--limit N] [--json]
mlw runs show <run-id> [--json]

Lists the workspace's runs, newest first: ML Workbench runs (.mlw/runs) and MLflow runs
(mlruns/). A run whose launcher died while it ran is shown as interrupted.
"show" prints one run's metadata and, per metric, the last and best values (best = lowest for
loss/error-like names, else highest). A run id may be shortened to a unique prefix or suffix.

Options:
  --experiment NAME   only runs of this experiment
  --status STATUS     only runs with this status (queued, running, finished, failed, stopped, interrupted)
  --limit N           at most N runs (default: all)
  --json              one JSON document: an array of runs, or {run, metrics} for show`;

function metricsCell(run: Run): string {
  const entries = Object.entries(run.metrics ?? {});
  const shown = entries.slice(0, 3).map(([k, m]) => `${k}=${formatMetric(m.last)}`);
  return shown.join(' ') + (entries.length > 3 ? ` (+${entries.length - 3})` : '');
}

async function list(values: { experiment?: string; status?: string; limit?: string }, ctx: CliContext): Promise<number> {
  let runs = await listWorkspaceRuns(ctx.workspace, { logger: ctx.logger, signal: ctx.signal });
  if (values.experiment !== undefined) runs = runs.filter((r) => r.experiment === values.experiment);
  if (values.status !== undefined) runs = runs.filter((r) => r.status === values.status);
  if (values.limit !== undefined) {
    const n = Number(values.limit);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--limit must be a whole number, not ${values.limit}`);
    runs = runs.slice(0, n);
  }
  if (ctx.json) {
    ctx.out(JSON.stringify(runs, null, 2));
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
  const run = await findRun(ctx.workspace, id, { logger: ctx.logger, store, signal: ctx.signal });
  if (run.source === 'mlw' && (run.status === 'running' || run.status === 'interrupted')) {
    // Not finalized by a launcher (yet): add what the script has declared so far.
    const logged = await readLogged(store.runDir(run.id));
    run.params = { ...run.params, ...logged.params };
    run.tags = { ...run.tags, ...logged.tags };
  }
  // Fresh numbers from the metrics log: the summary in run.json is written only when a run ends.
  const summary: Record<string, MetricSummary> = summarizeMetrics(await readRunMetrics(ctx.workspace, run, store));
  const metrics = Object.fromEntries(
    Object.entries(summary).map(([k, m]) => [k, { ...m, best: bestValue(k, m), lowerIsBetter: lowerIsBetter(k) }]),
  );
  if (ctx.json) {
    ctx.out(JSON.stringify({ run, metrics }, null, 2));
    return 0;
  }
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
        `${f.path}  ${formatBytes(f.size)}${f.sha256 ? `  sha256:${f.sha256.slice(0, 16)}` : ''}${f.stored && f.stored !== f.path ? `  (copy: ${f.stored})` : ''}`,
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
      options: { experiment: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
    });
    if (positionals.length === 0) return list(values, ctx);
    if (positionals[0] === 'show') {
      if (positionals.length !== 2) throw new UsageError('usage: mlw runs show <run-id>');
      return show(positionals[1], ctx);
    }
    throw new UsageError(`unknown subcommand "${positionals[0]}"`);
  },
};
