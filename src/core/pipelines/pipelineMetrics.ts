import * as path from 'node:path';
import { existsSync, promises as fsp } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Run } from '../runs/runTypes';
import { isObject } from './interpolate';
import { pipelineStatus } from './pipelineStatus';
import type { Pipeline, PipelineStage } from './pipelineTypes';
import { DVC_YAML, readPipeline } from './readPipeline';
import { stagePath } from './stageGraph';

/** Where a metric of a registered version came from: a metrics file a pipeline stage declares. */
export interface MetricsSource {
  /** The metrics file, relative to the folder of dvc.yaml. */
  file: string;
  stage: string;
  keys: string[];
}

export interface PipelineOrigin {
  /** The stage whose out the model file is (`export`). */
  stage: string;
  /** The tracked run that last ran that stage (`mlw pipeline run`), or the `dvc repro` run; null when none is recorded. */
  runId: string | null;
  /** Numbers of the fresh stages' metrics files (`metrics.json` of evaluate), dotted keys for nested ones, sorted. */
  metrics: Record<string, number>;
  sources: MetricsSource[];
  /** Metrics files left out because their stage is stale (they would describe another model). */
  staleSources: string[];
}

/** The numeric leaves of a metrics file's data, nested keys joined with `.` as `dvc metrics show` does. */
export function flattenMetrics(data: unknown, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof data === 'number' && Number.isFinite(data) && prefix) out[prefix] = data;
  else if (typeof data === 'boolean' && prefix) out[prefix] = data ? 1 : 0;
  else if (isObject(data)) for (const [k, v] of Object.entries(data)) Object.assign(out, flattenMetrics(v, prefix ? `${prefix}.${k}` : k));
  return out;
}

async function readMetricsFile(file: string): Promise<Record<string, number> | undefined> {
  const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return flattenMetrics(file.endsWith('.json') ? JSON.parse(text) : parseYaml(text));
  } catch {
    return undefined;
  }
}

const inside = (file: string, out: string): boolean => file === out || file.startsWith(out + path.sep);

/** The stage of `p` that outputs `file` (an out equal to it, or a folder out holding it). */
export function producingStage(p: Pipeline, file: string): PipelineStage | undefined {
  const abs = path.resolve(file);
  return p.stages.find((s) => s.outs.some((o) => inside(abs, stagePath(p, s, o.path))));
}

/** The latest finished run of `stage` (tag `mlw.pipeline.stage`), else the latest finished `dvc repro` run. */
export function stageRun(runs: readonly Run[], stage: string): Run | undefined {
  const latest = (rs: Run[]) => rs.sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0))[0];
  const done = runs.filter((r) => r.status === 'finished');
  return latest(done.filter((r) => r.tags?.['mlw.pipeline.stage'] === stage)) ?? latest(done.filter((r) => r.tags?.['mlw.pipeline']));
}

/**
 * When `file` is an out of a fresh stage of the workspace's dvc.yaml (the pipeline produced these bytes), the stage,
 * its run, and the metrics of every fresh stage's `metrics:` files. Undefined otherwise (no dvc.yaml, not an out,
 * or the producing stage is stale: the file is not what the pipeline would make now).
 */
export async function pipelineOrigin(
  workspace: string,
  file: string,
  runs: readonly Run[],
  /** Param overrides the pipeline last ran with (runPipeline's `params`): the stages are fresh as they ran. */
  params?: Readonly<Record<string, string>>,
): Promise<PipelineOrigin | undefined> {
  if (!existsSync(path.join(workspace, DVC_YAML))) return undefined;
  let p: Pipeline;
  try {
    p = await readPipeline(workspace);
  } catch {
    return undefined;
  }
  const producer = producingStage(p, file);
  if (!producer) return undefined;
  const status = await pipelineStatus(p, { params });
  const state = new Map(status.stages.map((s) => [s.name, s.state]));
  if (state.get(producer.name) === 'stale') return undefined;
  const metrics: Record<string, number> = {};
  const sources: MetricsSource[] = [];
  const staleSources: string[] = [];
  for (const s of p.stages) {
    for (const o of s.outs.filter((x) => x.kind === 'metric')) {
      const abs = stagePath(p, s, o.path);
      const rel = path.relative(p.root, abs).split(path.sep).join('/');
      if (state.get(s.name) === 'stale') {
        staleSources.push(rel);
        continue;
      }
      const values = await readMetricsFile(abs);
      if (!values || !Object.keys(values).length) continue;
      Object.assign(metrics, values);
      sources.push({ file: rel, stage: s.name, keys: Object.keys(values).sort() });
    }
  }
  const sorted = Object.fromEntries(Object.entries(metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { stage: producer.name, runId: stageRun([...runs], producer.name)?.id ?? null, metrics: sorted, sources, staleSources };
}
