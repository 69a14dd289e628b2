import { formatDuration, formatTime } from '../../core/runs/formatRun';
import type { MetricSeries } from '../../core/runs/readMetrics';
import type { FileRecord, Run } from '../../core/runs/runTypes';
import { runSourceLabel } from '../../core/runs/runSourceLabel';
import { isSystemTag } from '../../core/runs/runMeta';
import type { RunView } from '../../shared/runsProtocol';

/** An artifact as the dashboard and Compare list it: where the run's own bytes are, or that only its hash was kept. */
function artifactText(run: Run, a: FileRecord): string {
  const sha = a.sha256 ? ` · sha256 ${a.sha256.slice(0, 12)}` : '';
  if (a.snapshot === 'skipped-too-large') return `${a.path}${sha} · too large to snapshot: recorded by hash only`;
  if (a.stored?.startsWith('.mlw/blobs/')) return `${a.path}${sha} · snapshot of run ${run.name} (${a.stored})`;
  return `${a.path}${sha}`;
}

/** What the dashboard shows about a run. */
export function toRunView(run: Run, series?: Map<string, MetricSeries>): RunView {
  const meta: Array<[string, string]> = [
    ['Id', run.id],
    ['Status', run.status],
    ['Experiment', run.experiment],
    ['Source', runSourceLabel(run.source)],
    ['Command', run.command.join(' ')],
    ['Working directory', run.cwd],
    ['Started', formatTime(run.startTime)],
    ['Ended', formatTime(run.endTime)],
    ['Duration', formatDuration(run.durationMs ?? (run.status === 'running' && run.startTime ? Date.now() - run.startTime : null))],
  ];
  if (run.exitCode !== null) meta.push(['Exit code', String(run.exitCode)]);
  if (run.signal) meta.push(['Signal', run.signal]);
  if (run.git)
    meta.push(['Git', `${run.git.branch ?? '(detached)'} @ ${run.git.commit?.slice(0, 10) ?? '?'}${run.git.dirty ? ' (dirty)' : ''}`]);
  for (const a of run.artifacts.slice(0, 20)) meta.push(['Artifact', artifactText(run, a)]);
  // The user's tags and the notes show under the title; the tools' own tags (mlw.sweep, mlflow.*) here.
  for (const [k, v] of Object.entries(run.tags)
    .filter(([t]) => isSystemTag(t))
    .slice(0, 20))
    meta.push([`Tag ${k}`, v]);
  if (run.error) meta.push(['Error', run.error]);
  const finalMetrics: Record<string, number> = {};
  for (const [k, m] of Object.entries(run.metrics ?? {})) finalMetrics[k] = m.last;
  if (series) {
    for (const s of series.values())
      if (s.values.length && finalMetrics[s.name] === undefined) finalMetrics[s.name] = s.values[s.values.length - 1];
  }
  for (const k of Object.keys(finalMetrics)) if (!Number.isFinite(finalMetrics[k])) delete finalMetrics[k];
  return {
    id: run.id,
    name: run.name,
    experiment: run.experiment,
    status: run.status,
    source: run.source,
    params: { ...run.params },
    meta,
    finalMetrics,
    tags: { ...run.tags },
    notes: run.notes,
  };
}
