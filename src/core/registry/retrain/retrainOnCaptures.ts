/**
 * Retrain on recent data: the champion's training script run again as a new tracked run, with the served model's
 * captured requests (joined with their ground truth) as an extra param, `--recent_data=<dataset>/train`; its model
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
import { describeNewVersion } from '../registerVersion';
import { RegistryError, RegistryStore } from '../RegistryStore';
import { CHALLENGER, CHAMPION, type GateResult, type ModelEvaluation, type ModelVersion } from '../registryTypes';
import { evaluateOnHoldout } from './evaluateOnHoldout';
import { exportRecentData, type RecentDataset } from './exportRecentData';

export const RECENT_DATA_PARAM = 'recent_data';

export interface RetrainOptions {
  workspace: string;
  /** The registered model; its champion's source run is retrained. */
  name: string;
  /** Interpreter for the run (default the champion run's, else $MLW_PYTHON / python3). */
  python?: string;
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
  runId: string;
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
  if (!champion.source.runId)
    throw new RegistryError(
      `${o.name} champion v${champion.version} has no source run to retrain: register a version from a run (mlw registry register --run ID --name ${o.name}) and promote it`,
    );
  const runs = new RunStore(workspace, logger);
  const source = await findRun(workspace, champion.source.runId, { store: runs, tensorboard: false }).catch(() => {
    throw new RegistryError(`the source run ${champion.source.runId} of ${o.name} champion v${champion.version} is gone from .mlw/runs`);
  });
  const { script, args } = relaunchOf(source);

  o.signal?.throwIfAborted();
  const dataset = await exportRecentData({ workspace, name: o.name, served: o.served, holdout: o.holdout, seed: o.seed, now: now() });
  const r = dataset.rows;
  say(
    `${o.name}: ${r.captured} captured rows, ${r.labelled} with ground truth (${r.unlabelled} without${r.mismatched ? `, ${r.mismatched} with a label count other than their rows` : ''}): ${r.train} to train on, ${r.holdout} held out, in ${dataset.path}`,
  );

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
      name: `retrain-${o.name}-${runNameSuffix(now())}`,
      dataInputs: [
        path.join(dataset.dir, 'manifest.json'),
        ...dataset.inputs.map((i) => path.join(dataset.trainDir, i.file)),
        path.join(dataset.trainDir, 'labels.npy'),
      ],
      tags: { 'mlw.retrain.model': o.name, 'mlw.retrain.champion': String(champion.version), 'mlw.retrain.dataset': dataset.path },
      notes: `Retrained ${o.name} (champion v${champion.version}, run ${source.id}) on ${r.train} captured rows of ${dataset.path}`,
      onOutput: o.onLine ? lineSplitter(o.onLine) : undefined,
    },
    logger,
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
    {
      by: o.by,
      notes: `retrained from v${champion.version} on ${dataset.path}`,
      now: now(),
    },
  );
  o.signal?.throwIfAborted();
  say(`evaluating the candidate and champion v${champion.version} on ${r.holdout} held-out rows`);
  const candidateMetrics = await evaluateOnHoldout(path.resolve(workspace, fields.path), dataset.holdoutDir, { signal: o.signal });
  const championMetrics = await evaluateOnHoldout(path.resolve(workspace, champion.path), dataset.holdoutDir, { signal: o.signal });
  const at = now().toISOString();
  const evaluation = (metrics: Record<string, number>): ModelEvaluation => ({ data: dataset.holdoutData, at, metrics });

  const { version, updated } = await store.update(o.name, async (m) => {
    const current = m ?? model;
    const withChampionEval = {
      ...current,
      versions: current.versions.map((v): ModelVersion =>
        v.version === champion.version ? { ...v, evaluations: [...(v.evaluations ?? []), evaluation(championMetrics)] } : v,
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
    runId: run.id,
    candidate: { version, metrics: candidateMetrics },
    champion: { version: champion.version, metrics: championMetrics },
    gates,
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
