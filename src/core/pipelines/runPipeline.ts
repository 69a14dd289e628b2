import * as path from 'node:path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { launchRun } from '../runs/launchRun';
import { findExecutable } from '../runs/resolveInterpreter';
import type { RunStore } from '../runs/RunStore';
import type { Run } from '../runs/runTypes';
import { HashCache } from './HashCache';
import { writeDvcLockEntry, writeMlwLockEntry } from './dvcLock';
import { currentLockEntry, PathHasher, pipelineStatus } from './pipelineStatus';
import type { Pipeline, PipelineStage } from './pipelineTypes';
import { DEFAULT_PARAMS, PipelineError } from './readPipeline';
import { stageOrder, upstreamOf, withUpstream } from './stageGraph';
import { stageInterpreterEnv } from './stageInterpreterEnv';

export interface RunPipelineOptions {
  store: RunStore;
  /** A stage (`train`, `train@cnn`) or a foreach/matrix group (`train`); with its upstream stages. Default: all. */
  target?: string;
  /** Also record each stage run in dvc.lock (without DVC; `dvc repro` always writes it). */
  updateLock?: boolean;
  /** 'auto' (default): `dvc repro` when dvc is on PATH; false: ML Workbench runs the stages itself. */
  dvc?: 'auto' | false;
  /** Shell for stage commands; default `$SHELL`, else /bin/sh (as DVC does). */
  shell?: string;
  env?: Record<string, string | undefined>;
  /**
   * The interpreter `python` / `python3` mean in stage commands (the user's selection, `--python`): its folder first on
   * PATH, as in an activated venv. Default: PATH as it is (`python3` standing in when there is no `python`).
   */
  python?: string;
  /**
   * Params passed to this run only, without touching params.yaml (DVC has no such override, so ML Workbench runs the
   * stages itself even when dvc is installed): a stage that lists the key among its params.yaml params gets
   * ` --key='value'` appended to its cmd, its run records the value as its param, and its lock entry (ML Workbench's
   * record, and dvc.lock with `updateLock`) records the value it ran with, so the stage reads stale against
   * params.yaml afterwards, as it is. A stage whose cmd is a list of commands cannot take one: an error.
   */
  params?: Readonly<Record<string, string>>;
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Called as each stage starts, is skipped (fresh) or ends. */
  onStage?: (e: StageEvent) => void;
  logger?: Logger;
  signal?: AbortSignal;
}

export type StageEvent =
  | { type: 'skip'; stage: string }
  | { type: 'start'; stage: string; runId: string }
  | { type: 'end'; stage: string; run: Run; error?: string };

export interface StageRunResult {
  stage: string;
  outcome: 'ran' | 'fresh' | 'failed';
  runId?: string;
  error?: string;
}

export interface PipelineRunResult {
  via: 'dvc' | 'mlw';
  ok: boolean;
  stages: StageRunResult[];
  /** The one-line reason the run stopped. */
  error?: string;
}

/** The argument vector DVC uses for a stage command on POSIX: `$SHELL [--norc...] -c CMD`. */
export function shellArgv(cmd: string | string[], shell: string): string[] {
  const name = path.basename(shell).toLowerCase();
  const opts = name === 'bash' ? ['--noprofile', '--norc'] : name === 'zsh' ? ['--no-rcs'] : [];
  if (typeof cmd === 'string') return [shell, ...opts, '-c', cmd];
  // Several commands: each runs in its own shell, in order, stopping at the first failure. The script is fixed; the
  // commands reach it as arguments, never spliced into it.
  return [shell, ...opts, '-c', 'for c in "$@"; do "$0" -c "$c" || exit $?; done', shell, ...cmd];
}

function lastLine(text: string | undefined): string {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== '--- stderr ---');
  return lines[lines.length - 1] ?? '';
}

/** One line saying why a stage's run failed: its exit and the last line it printed (usually the exception). */
export function stageFailure(stage: string, run: Run): string {
  const how =
    run.exitCode !== null
      ? `exit code ${run.exitCode}`
      : run.signal
        ? `signal ${run.signal}`
        : run.status === 'stopped'
          ? 'stopped'
          : 'failed';
  const why = lastLine(run.outputTail) || run.error || '';
  return `stage ${stage} failed (${how})${why ? `: ${why}` : ''} [run ${run.id}]`;
}

function selectStages(p: Pipeline, order: string[], up: Map<string, string[]>, target: string | undefined): string[] {
  if (!target) return order;
  const members = p.stages.filter((s) => s.name === target || s.group === target).map((s) => s.name);
  if (!members.length) throw new PipelineError(`No stage ${target} in dvc.yaml (stages: ${p.stages.map((s) => s.name).join(', ')})`);
  const keep = new Set(members.flatMap((m) => withUpstream(order, up, m)));
  return order.filter((n) => keep.has(n));
}

async function runWithDvc(p: Pipeline, dvc: string, o: RunPipelineOptions, logger: Logger): Promise<PipelineRunResult> {
  const handle = await launchRun(
    {
      store: o.store,
      command: [dvc, 'repro', ...(o.target ? [o.target] : [])],
      cwd: p.root,
      experiment: 'pipeline',
      name: `dvc repro${o.target ? ` ${o.target}` : ''}`,
      tags: { 'mlw.pipeline': 'dvc repro' },
      env: o.env,
      onOutput: o.onOutput,
      scanArtifacts: false,
    },
    logger,
    o.signal,
  );
  o.onStage?.({ type: 'start', stage: o.target ?? '(all)', runId: handle.id });
  const run = await handle.done;
  const error = run.status === 'finished' ? undefined : stageFailure(o.target ?? 'dvc repro', run);
  o.onStage?.({ type: 'end', stage: o.target ?? '(all)', run, error });
  return {
    via: 'dvc',
    ok: !error,
    stages: [{ stage: o.target ?? '(all)', outcome: error ? 'failed' : 'ran', runId: run.id, error }],
    error,
  };
}

/** The params of `params` that stage `s` lists among those of params.yaml. */
export function stageOverrides(s: PipelineStage, params: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {}))
    if (s.params.some((spec) => spec.file === DEFAULT_PARAMS && spec.keys?.includes(k))) out[k] = v;
  return out;
}

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** The stage's cmd with ` --key='value'` appended for each of its overrides. */
function cmdWith(s: PipelineStage, overrides: Record<string, string>): string | string[] {
  const extra = Object.entries(overrides).map(([k, v]) => ` --${k}=${shellQuote(v)}`);
  if (!extra.length) return s.cmd;
  if (typeof s.cmd !== 'string')
    throw new PipelineError(
      `stage ${s.name} runs several commands: ML Workbench cannot tell which takes --${Object.keys(overrides).join(', --')}; make its cmd one command`,
    );
  return s.cmd + extra.join('');
}

async function runStage(p: Pipeline, s: PipelineStage, o: RunPipelineOptions, shell: string, logger: Logger): Promise<StageRunResult> {
  const overrides = stageOverrides(s, o.params);
  const handle = await launchRun(
    {
      store: o.store,
      command: shellArgv(cmdWith(s, overrides), shell),
      cwd: path.resolve(p.root, s.wdir),
      experiment: 'pipeline',
      name: s.name,
      tags: { 'mlw.pipeline.stage': s.name },
      // Recorded as the run's params; they reach the command as the arguments above, not twice.
      ...(Object.keys(overrides).length ? { params: overrides, paramsMode: 'env' as const } : {}),
      env: o.env,
      onOutput: o.onOutput,
      scanArtifacts: false,
    },
    logger,
    o.signal,
  );
  o.onStage?.({ type: 'start', stage: s.name, runId: handle.id });
  const run = await handle.done;
  let error = run.status === 'finished' ? undefined : stageFailure(s.name, run);
  if (!error) {
    const hasher = new PathHasher(await HashCache.open(p.root));
    const entry = await currentLockEntry(p, s, hasher, o.params);
    await hasher.cache.save();
    const missing = (entry.outs ?? []).filter((f) => !f.md5).map((f) => f.path);
    if (missing.length) error = `stage ${s.name} did not produce ${missing.join(', ')} [run ${run.id}]`;
    else {
      await writeMlwLockEntry(p.root, s.name, entry);
      if (o.updateLock) await writeDvcLockEntry(p.root, s.name, entry);
    }
  }
  o.onStage?.({ type: 'end', stage: s.name, run, error });
  return { stage: s.name, outcome: error ? 'failed' : 'ran', runId: run.id, ...(error ? { error } : {}) };
}

async function runStages(
  p: Pipeline,
  o: RunPipelineOptions,
  selected: string[],
  up: Map<string, string[]>,
  logger: Logger,
): Promise<PipelineRunResult> {
  const shell = o.shell ?? process.env.SHELL ?? '/bin/sh';
  const status = await pipelineStatus(p, { params: o.params });
  const state = new Map(status.stages.map((s) => [s.name, s.state]));
  const byName = new Map(p.stages.map((s) => [s.name, s]));
  const ran = new Set<string>();
  const results: StageRunResult[] = [];
  for (const name of selected) {
    o.signal?.throwIfAborted();
    const s = byName.get(name) as PipelineStage;
    const upstreamRan = (up.get(name) ?? []).some((u) => ran.has(u));
    if (state.get(name) === 'frozen' || (state.get(name) === 'fresh' && !upstreamRan)) {
      o.onStage?.({ type: 'skip', stage: name });
      results.push({ stage: name, outcome: 'fresh' });
      continue;
    }
    const r = await runStage(p, s, o, shell, logger);
    results.push(r);
    if (r.outcome === 'failed') return { via: 'mlw', ok: false, stages: results, error: r.error };
    ran.add(name);
  }
  return { via: 'mlw', ok: true, stages: results };
}

/**
 * Brings the pipeline up to date: `dvc repro [target]` when DVC is installed, otherwise runs each stale stage (and
 * everything downstream of a stage it ran) in dependency order, each as a tracked run, stopping at the first failure.
 * Without DVC nothing DVC reads is written (no cache, no dvc.lock) unless `updateLock`; ML Workbench keeps its own
 * record in .mlw/pipelines/lock.json so the stages read fresh afterwards. With `params`, always ML Workbench's runner.
 */
export async function runPipeline(p: Pipeline, options: RunPipelineOptions): Promise<PipelineRunResult> {
  const logger = options.logger ?? silentLogger;
  const up = upstreamOf(p);
  const order = stageOrder(p, up);
  const selected = selectStages(p, order, up, options.target);
  // A list cmd that would need an override fails before anything runs.
  for (const s of p.stages) if (selected.includes(s.name)) cmdWith(s, stageOverrides(s, options.params));
  const dvc =
    options.dvc !== false && !options.params ? await findExecutable('dvc', { ...process.env, ...options.env }, p.root) : undefined;
  const stageEnv = await stageInterpreterEnv(options.python, options.env, p.root);
  if (stageEnv.python) logger.info(`Pipeline stages run with python = ${stageEnv.python}`);
  try {
    const o = { ...options, env: stageEnv.env };
    return dvc ? await runWithDvc(p, dvc, o, logger) : await runStages(p, o, selected, up, logger);
  } finally {
    await stageEnv.dispose();
  }
}
