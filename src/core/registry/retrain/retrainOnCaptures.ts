/**
 * Retrain on recent data: the champion's training script run again as a new tracked run (or, when the champion's
 * model file is an out of a stage of the workspace's dvc.yaml, the pipeline up to that stage, see
 * retrainPipelinePlan), with the served model's captured requests (joined with their ground truth) as an extra param,
 * `--recent_data=<dataset>/train`; its model
 * registered as the next version with alias challenger; the candidate and the champion evaluated on the same
 * held-out captured rows through onnxruntime (evaluateOnHoldout), both evaluations recorded in the registry; and the
 * promotion gates of mlw.yaml evaluated as `mlw registry promote` would, without moving champion.
 */
import * as path from 'node:path';
import type { Logger } from '../../logger';
import { silentLogger } from '../../logger';
import { isNotebook } from '../../runs/buildChildCommand';
import { launchRun } from '../../runs/launchRun';
import { findRun } from '../../runs/listWorkspaceRuns';
import { RunStore } from '../../runs/RunStore';
import { OUTPUT_FILE, type Run } from '../../runs/runTypes';
import { addVersion, moveAlias } from '../aliasMoves';
import { checkGates } from '../promoteVersion';
import { describeNewVersion, type NewVersion } from '../registerVersion';
import { RegistryError, RegistryStore } from '../RegistryStore';
import { CHALLENGER, CHAMPION, type GateResult, type ModelEvaluation, type ModelVersion } from '../registryTypes';
import { runPipeline, type StageRunResult } from '../../pipelines/runPipeline';
import { stageRun } from '../../pipelines/pipelineMetrics';
import { listWorkspaceRuns } from '../../runs/listWorkspaceRuns';
import { evaluateOnHoldout } from './evaluateOnHoldout';
import { exportRecentData, type RecentDataset } from './exportRecentData';
import { keepRegisteredFile } from './keepRegisteredFile';
import { retrainPipelinePlan, type RetrainPipelinePlan } from './retrainPipelinePlan';

export const RECENT_DATA_PARAM = 'recent_data';

export interface RetrainOptions {
  workspace: string;
  /** The registered model; its champion's source run is retrained. */
  name: string;
  /**
   * Interpreter for the run (default the champion run's, else $MLW_PYTHON / python3); for the pipeline, what `python`
   * means in the stage commands (default PATH as it is).
   */
  python?: string;
  /** Rerun the champion's source run's script even when its model file is a pipeline stage's out. */
  script?: boolean;
  /** Held-out fraction of the labelled captured rows (default 0.3). */
  holdout?: number;
  seed?: number;
  /** The served model name whose captures are read (default `name`: served as NAME@ALIAS). */
  served?: string;
  signal?: AbortSignal;
  /** The run's output, line by line, and progress lines of the retrain itself. */
  onLine?: (line: string) => void;
  /** Who registers the challenger (whoAmI). */
  by: string;
  logger?: Logger;
  now?: () => Date;
}

export interface RetrainOutcome {
  name: string;
  dataset: RecentDataset;
  rows: RecentDataset['rows'];
  /** The run that trained the candidate (for the pipeline, the run that wrote its bytes, else the producing stage's). */
  runId: string;
  /** What ran: the workspace's pipeline (dvc.yaml) or the champion's source run's script. */
  via: 'pipeline' | 'script';
  /** `pipeline: prepare, train, evaluate, export` or `script train.py`. */
  ran: string;
  /** The pipeline's stages, ran or fresh (pipeline only). */
  stages?: StageRunResult[];
  candidate: { version: number; metrics: Record<string, number> };
  champion: { version: number; metrics: Record<string, number> };
  /** The promotion gates of mlw.yaml for the candidate, as promote evaluates them (champion not moved). */
  gates: GateResult[];
}

/** The script, extra arguments and interpreter of a run launched by ML Workbench, to launch it again. */
function relaunchOf(run: Run): { script: string; args: string[] } {
  if (run.source !== 'mlw' || !run.interpreter || run.command.length < 2)
    throw new RegistryError(
      `run ${run.id} was not launched by ML Workbench as a Python script (${run.command.join(' ') || run.source}): retrain needs a run of mlw run SCRIPT`,
    );
  const notebook = run.command.length >= 3 && isNotebook(run.command[2]) && /mlw_notebook\.py$/.test(run.command[1]);
  const script = notebook ? run.command[2] : run.command[1];
  const rest = run.command.slice(notebook ? 3 : 2);
  return { script, args: rest.filter((a) => !a.startsWith(`--${RECENT_DATA_PARAM}=`)) };
}

const inside = (cwd: string, p: string) => {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
};

export async function retrainOnCaptures(o: RetrainOptions): Promise<RetrainOutcome> {
  const workspace = path.resolve(o.workspace);
  const logger = o.logger ?? silentLogger;
  const now = o.now ?? (() => new Date());
  const say = (line: string) => o.onLine?.(line);
  const store = new RegistryStore(workspace);
  const model = await store.get(o.name);
  const championNumber = model.aliases[CHAMPION];
  const champion = model.versions.find((v) => v.version === championNumber);
  if (championNumber === undefined || !champion)
    throw new RegistryError(`${o.name} has no champion to retrain: promote a version first (mlw registry promote ${o.name} VERSION)`);
  const runs = new RunStore(workspace, logger);
  const source = champion.source.runId
    ? await findRun(workspace, champion.source.runId, { store: runs, tensorboard: false }).catch(() => undefined)
    : undefined;
  const label = `${o.name} champion v${champion.version}`;
  const plan = o.script ? undefined : await retrainPipelinePlan(workspace, champion, source, RECENT_DATA_PARAM, label);
  if (!plan) {
    if (!champion.source.runId)
      throw new RegistryError(
        `${o.name} champion v${champion.version} has no source run to retrain: register a version from a run (mlw registry register --run ID --name ${o.name}) and promote it`,
      );
    if (!source) throw new RegistryError(`the source run ${champion.source.runId} of ${label} is gone from .mlw/runs`);
  }
  const relaunch = plan ? undefined : relaunchOf(source as Run);

  o.signal?.throwIfAborted();
  const dataset = await exportRecentData({ workspace, name: o.name, served: o.served, holdout: o.holdout, seed: o.seed, now: now() });
  const r = dataset.rows;
  say(
    `${o.name}: ${r.captured} captured rows, ${r.labelled} with ground truth (${r.unlabelled} without${r.mismatched ? `, ${r.mismatched} with a label count other than their rows` : ''}): ${r.train} to train on, ${r.holdout} held out, in ${dataset.path}`,
  );
  const trained = plan
    ? await retrainPipeline(plan, { o, workspace, runs, dataset, champion, label, now: now() })
    : await retrainScript(source as Run, relaunch as { script: string; args: string[] }, {
        o,
        workspace,
        runs,
        dataset,
        champion,
        now: now(),
      });
  const { fields } = trained;
  o.signal?.throwIfAborted();
  say(`evaluating the candidate and champion v${champion.version} on ${r.holdout} held-out rows`);
  const candidateMetrics = await evaluateOnHoldout(path.resolve(workspace, fields.path), dataset.holdoutDir, { signal: o.signal });
  const championMetrics = await evaluateOnHoldout(path.resolve(workspace, trained.championPath ?? champion.path), dataset.holdoutDir, {
    signal: o.signal,
  });
  const at = now().toISOString();
  const evaluation = (metrics: Record<string, number>): ModelEvaluation => ({ data: dataset.holdoutData, at, metrics });

  const { version, updated } = await store.update(o.name, async (m) => {
    const current = m ?? model;
    const withChampionEval = {
      ...current,
      versions: current.versions.map((v): ModelVersion =>
        v.version === champion.version
          ? { ...v, path: trained.championPath ?? v.path, evaluations: [...(v.evaluations ?? []), evaluation(championMetrics)] }
          : v,
      ),
    };
    const added = addVersion(withChampionEval, { ...fields, evaluations: [evaluation(candidateMetrics)] });
    const moved = moveAlias(added.model, CHALLENGER, added.version.version, { action: 'register', at, by: o.by });
    return { model: moved, result: { version: added.version.version, updated: moved } };
  });
  const gates = await checkGates(workspace, updated, version);
  return {
    name: o.name,
    dataset,
    rows: dataset.rows,
    runId: trained.runId,
    via: plan ? 'pipeline' : 'script',
    ran: trained.ran,
    ...(trained.stages ? { stages: trained.stages } : {}),
    candidate: { version, metrics: candidateMetrics },
    champion: { version: champion.version, metrics: championMetrics },
    gates,
  };
}

interface TrainContext {
  o: RetrainOptions;
  workspace: string;
  runs: RunStore;
  dataset: RecentDataset;
  champion: ModelVersion;
  now: Date;
}

interface Trained {
  fields: NewVersion;
  runId: string;
  ran: string;
  stages?: StageRunResult[];
  /** Where the champion's bytes are kept when its registered file is one the pipeline rewrites. */
  championPath?: string;
}

/** The champion's source run's script again, with `--recent_data=<dataset>/train`, as one new tracked run. */
async function retrainScript(source: Run, relaunch: { script: string; args: string[] }, c: TrainContext): Promise<Trained> {
  const { o, workspace, runs, dataset, champion } = c;
  const { script, args } = relaunch;
  const r = dataset.rows;
  const say = (line: string) => o.onLine?.(line);
  const cwd = source.cwd || workspace;
  const trainDir = inside(cwd, dataset.trainDir);
  const handle = await launchRun(
    {
      store: runs,
      script,
      args,
      interpreter: o.python ?? source.interpreter ?? undefined,
      params: { [RECENT_DATA_PARAM]: trainDir },
      cwd,
      experiment: source.experiment,
      name: `retrain-${o.name}-${runNameSuffix(c.now)}`,
      dataInputs: [
        path.join(dataset.dir, 'manifest.json'),
        ...dataset.inputs.map((i) => path.join(dataset.trainDir, i.file)),
        path.join(dataset.trainDir, 'labels.npy'),
      ],
      tags: { 'mlw.retrain.model': o.name, 'mlw.retrain.champion': String(champion.version), 'mlw.retrain.dataset': dataset.path },
      notes: `Retrained ${o.name} (champion v${champion.version}, run ${source.id}) on ${r.train} captured rows of ${dataset.path}`,
      onOutput: o.onLine ? lineSplitter(o.onLine) : undefined,
    },
    o.logger ?? silentLogger,
    o.signal,
  );
  say(`run ${handle.id} started: ${script} ${[...args, `--${RECENT_DATA_PARAM}=${trainDir}`].join(' ')}`);
  const run = await handle.done;
  if (run.status !== 'finished') {
    const how = run.exitCode !== null && run.exitCode !== undefined ? ` (exit ${run.exitCode})` : run.signal ? ` (${run.signal})` : '';
    const log = inside(workspace, path.join(runs.runDir(run.id), OUTPUT_FILE));
    const last = (run.outputTail ?? run.error ?? '').trim().split('\n').filter(Boolean).at(-1);
    throw new RegistryError(`retraining run ${run.id} ${run.status}${how}; its log is ${log}${last ? `: ${last}` : ''}`);
  }
  // The new run's file of the artifact the champion was registered from (the run may log other models too).
  const fields = await describeNewVersion(
    workspace,
    { runId: run.id, artifact: champion.source.artifact },
    { by: o.by, notes: `retrained from v${champion.version} on ${dataset.path}`, now: c.now },
  );
  return { fields, runId: run.id, ran: `script ${script}` };
}

/**
 * The workspace's pipeline (every stage stale under the override, evaluate's metrics too), run by ML Workbench's runner with
 * the param override recent_data=<dataset>/train (params.yaml is not touched; dvc.lock is not written: it keeps
 * describing the last `mlw pipeline run --update-lock` / `dvc repro`, and ML Workbench's own record says the stages
 * ran with recent_data, so `mlw pipeline status` reads train stale until the pipeline runs again as params.yaml says).
 * The candidate is the file that stage wrote, with the pipeline's metrics; both it and the champion are registered by
 * a kept snapshot (keepRegisteredFile), since the next pipeline run rewrites the workspace's file.
 */
async function retrainPipeline(plan: RetrainPipelinePlan, c: TrainContext & { label: string }): Promise<Trained> {
  const { o, workspace, runs, dataset, champion } = c;
  const say = (line: string) => o.onLine?.(line);
  const logger = o.logger ?? silentLogger;
  const p = plan.pipeline;
  const before = await listWorkspaceRuns(workspace, { store: runs, tensorboard: false });
  // Before anything rewrites the champion's file.
  const championPath = await keepRegisteredFile(workspace, champion, before, runs, c.label);
  if (championPath !== champion.path) {
    // Recorded now, not after: a stage that fails after train.py rewrote model.onnx must not change the champion.
    await new RegistryStore(workspace).update(o.name, async (m) => {
      if (!m) throw new RegistryError(`${o.name} is gone from the registry`);
      const versions = m.versions.map((v) =>
        v.version === champion.version && v.sha256 === champion.sha256 ? { ...v, path: championPath } : v,
      );
      return { model: { ...m, versions }, result: undefined };
    });
    say(`${c.label}: its file ${champion.path} is a pipeline out, kept as ${championPath}`);
  }
  const params = { [RECENT_DATA_PARAM]: inside(p.root, dataset.trainDir) };
  const result = await runPipeline(p, {
    store: runs,
    // All of it, not only up to the model's stage: evaluate's metrics are the candidate's.
    dvc: false,
    python: o.python ?? process.env.MLW_PYTHON,
    params,
    logger,
    signal: o.signal,
    onOutput: o.onLine ? lineSplitter(o.onLine) : undefined,
    onStage: (e) => {
      if (e.type === 'skip') say(`stage ${e.stage}: fresh, skipped`);
      else if (e.type === 'start') say(`stage ${e.stage}: run ${e.runId} started`);
    },
  });
  const names = result.stages.map((s) => s.stage);
  if (!result.ok) throw new RegistryError(`retraining pipeline (${names.join(', ')}) failed: ${result.error ?? 'no reason given'}`);
  const fields = await describeNewVersion(
    workspace,
    { file: inside(workspace, plan.file) },
    { by: o.by, notes: `retrained from v${champion.version} on ${dataset.path} by the pipeline`, now: c.now, pipelineParams: params },
  );
  const after = await listWorkspaceRuns(workspace, { store: runs, tensorboard: false });
  fields.path = await keepRegisteredFile(workspace, fields, after, runs, `the ${o.name} candidate`);
  const producerRun = result.stages.find((s) => s.stage === plan.producer.name)?.runId ?? stageRun(after, plan.producer.name)?.id;
  const runId = fields.source.runId ?? producerRun;
  if (!runId) throw new RegistryError(`the pipeline ran no stage ${plan.producer.name} and no run of it is recorded`);
  return {
    fields,
    runId,
    ran: `pipeline: ${names.join(', ')}`,
    stages: result.stages,
    ...(championPath !== champion.path ? { championPath } : {}),
  };
}

/** `20261204-2015`: a run name suffix. */
function runNameSuffix(d: Date): string {
  return d.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
}

function lineSplitter(onLine: (line: string) => void): (text: string) => void {
  let rest = '';
  return (text) => {
    const parts = (rest + text).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p.replace(/\r$/, ''));
  };
}
