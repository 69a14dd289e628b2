import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { findRun, listWorkspaceRuns, readRunMetrics } from '../runs/listWorkspaceRuns';
import { RunStore } from '../runs/RunStore';
import { locateArtifact } from '../runs/snapshot/locateArtifact';
import { summarizeMetrics } from '../runs/summarizeMetrics';
import type { FileRecord, Run } from '../runs/runTypes';
import { pipelineOrigin, type PipelineOrigin } from '../pipelines/pipelineMetrics';
import { describeVersionFile } from './describeVersionFile';
import { RegistryError } from './RegistryStore';
import type { ModelVersion, VersionSource } from './registryTypes';

export type RegisterSource = { file: string } | { runId: string; artifact?: string };

/** A version's fields other than its number, for `register`. */
export type NewVersion = Omit<ModelVersion, 'version'>;

const isModelFile = (a: FileRecord) => /\.(onnx|ort)$/i.test(a.path);

async function runMetrics(workspace: string, run: Run, store: RunStore): Promise<Record<string, number>> {
  let summary = run.metrics;
  if (!summary || !Object.keys(summary).length) summary = summarizeMetrics(await readRunMetrics(workspace, run, store));
  const out: Record<string, number> = {};
  for (const [k, m] of Object.entries(summary ?? {})) if (!k.startsWith('system/') && Number.isFinite(m.last)) out[k] = m.last;
  return out;
}

function pickArtifact(run: Run, wanted: string | undefined): FileRecord {
  if (wanted !== undefined) {
    const norm = wanted.replace(/\\/g, '/');
    const a = run.artifacts.find((x) => x.path === norm || path.basename(x.path) === norm);
    if (!a)
      throw new RegistryError(
        `run ${run.id} has no artifact "${wanted}" (artifacts: ${run.artifacts.map((x) => x.path).join(', ') || 'none'})`,
      );
    return a;
  }
  const models = run.artifacts.filter(isModelFile);
  if (models.length === 1) return models[0];
  if (!models.length)
    throw new RegistryError(`run ${run.id} logged no .onnx artifact (artifacts: ${run.artifacts.map((x) => x.path).join(', ') || 'none'})`);
  throw new RegistryError(
    `run ${run.id} logged ${models.length} models (${models.map((x) => x.path).join(', ')}): name one, e.g. --run ${run.id} ${models[0].path}`,
  );
}

const workspacePath = (workspace: string, file: string) => {
  const rel = path.relative(workspace, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
};

/**
 * Gathers what a new version records, from a run's model artifact (its snapshot, the run's metrics) or from a file
 * (its source run found by sha256 among the workspace's runs, when one logged it).
 */
export async function describeNewVersion(
  workspace: string,
  source: RegisterSource,
  meta: { by: string; notes?: string; now?: Date; pipelineParams?: Readonly<Record<string, string>> },
): Promise<NewVersion> {
  const store = new RunStore(workspace);
  let file: string;
  let benchmarkNear: string;
  let run: Run | undefined;
  let src: VersionSource;
  if ('runId' in source) {
    run = await findRun(workspace, source.runId, { store, tensorboard: false });
    const artifact = pickArtifact(run, source.artifact);
    const loc = await locateArtifact(run.source === 'mlw' ? store : undefined, run, artifact, workspace);
    if (!loc) throw new RegistryError(`the file of artifact ${artifact.path} of run ${run.id} is gone`);
    // A snapshot is registered by its content-addressed path, which no later run changes.
    file = loc.kind === 'snapshot' && artifact.stored ? path.resolve(workspace, artifact.stored) : loc.file;
    benchmarkNear = path.resolve(run.cwd || workspace, artifact.path);
    src = { kind: 'run', runId: run.id, artifact: artifact.path };
  } else {
    file = path.resolve(workspace, source.file);
    const st = await fsp.stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new RegistryError(`${source.file}: no such file`);
    benchmarkNear = file;
    src = { kind: 'file', runId: null };
  }
  const facts = await describeVersionFile(file, workspace, benchmarkNear);
  let origin: PipelineOrigin | undefined;
  if (!run) {
    // The run that logged these bytes, if any: its metrics are the version's.
    const runs = await listWorkspaceRuns(workspace, { store, tensorboard: false });
    run = runs.find((r) => r.artifacts.some((a) => a.sha256 === facts.sha256));
    if (run) src = { kind: 'file', runId: run.id, artifact: run.artifacts.find((a) => a.sha256 === facts.sha256)!.path };
    // An out of a fresh pipeline stage also gets the metrics files the pipeline declares (a training run may have
    // logged the same bytes the export stage wrote); with no run that logged them, the source is that stage's run.
    origin = await pipelineOrigin(workspace, file, runs, meta.pipelineParams);
    if (origin && !run) {
      run = origin.runId ? runs.find((r) => r.id === origin!.runId) : undefined;
      src = { kind: 'file', runId: origin.runId, artifact: workspacePath(workspace, file) };
    }
  }
  const metrics = run ? await runMetrics(workspace, run, store) : {};
  if (origin) Object.assign(metrics, origin.metrics);
  return {
    registeredAt: (meta.now ?? new Date()).toISOString(),
    registeredBy: meta.by,
    source: src,
    path: workspacePath(workspace, file),
    ...facts,
    metrics: Object.fromEntries(Object.entries(metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    dataInputs: (run?.dataInputs ?? []).map((d) => ({ path: d.path, sha256: d.sha256 })),
    ...(origin ? { pipeline: { stage: origin.stage, metricsFrom: origin.sources } } : {}),
    notes: meta.notes ?? '',
  };
}
