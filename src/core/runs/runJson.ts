import type { MetricSeries } from './readMetrics';
import type { MetricSummary, Run } from './runTypes';
import { bestValue, lowerIsBetter, summarizeMetrics } from './summarizeMetrics';

/**
 * The JSON `mlw runs --json` and `mlw runs show ID --json` print, the same for every source
 * (mlw, mlflow-file, mlflow-sqlite, mlflow-server, tensorboard). Scripts and CI rely on these shapes.
 * JSON has no NaN: a NaN value (a NaN point, a min or max not known) prints as null.
 */

/** One run of `mlw runs --json`: the whole run, with `metrics` always present (the last value of each is `metrics[k].last`). */
export type RunListJson = Run & { metrics: Record<string, MetricSummary> };

export function runListJson(run: Run): RunListJson {
  return { ...run, metrics: run.metrics ?? {} };
}

export interface MetricPointJson {
  step: number;
  /** null for NaN. */
  value: number | null;
  /** Epoch milliseconds; null when not recorded. */
  time: number | null;
}

export type MetricJson = MetricSummary & { best: number; lowerIsBetter: boolean; series: MetricPointJson[] };

export interface ArtifactJson {
  path: string;
  sha256: string;
  size: number;
  /** Where the run's own copy is kept (absent until it has one). */
  stored?: string;
}

/** `mlw runs show ID --json`. `run` is the whole run as the listing has it. */
export interface RunShowJson {
  id: string;
  name: string;
  status: Run['status'];
  source: Run['source'];
  experiment: string;
  params: Run['params'];
  tags: Run['tags'];
  metrics: Record<string, MetricJson>;
  artifacts: ArtifactJson[];
  run: Run;
}

const orNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function runShowJson(run: Run, series: Map<string, MetricSeries>): RunShowJson {
  // Fresh numbers from the series: a summary in run.json is written only when a run ends.
  const summary = summarizeMetrics(series);
  const metrics: Record<string, MetricJson> = {};
  for (const [name, m] of Object.entries(summary)) {
    const s = series.get(name) as MetricSeries;
    const points: MetricPointJson[] = new Array(s.values.length);
    for (let i = 0; i < s.values.length; i++)
      points[i] = { step: s.steps[i], value: Number.isNaN(s.values[i]) ? null : s.values[i], time: orNull(s.timestamps[i]) };
    metrics[name] = { ...m, best: bestValue(name, m), lowerIsBetter: lowerIsBetter(name), series: points };
  }
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    source: run.source,
    experiment: run.experiment,
    params: run.params,
    tags: run.tags,
    metrics,
    artifacts: run.artifacts.map((a) => ({
      path: a.path,
      sha256: a.sha256,
      size: a.size,
      ...(a.stored !== undefined ? { stored: a.stored } : {}),
    })),
    run,
  };
}
