import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { defaultHelperDir } from '../runs/buildChildCommand';
import { newRunId } from '../runs/runId';
import type { Params, Run } from '../runs/runTypes';
import { ARRAY_PARAMS_FILE, ARRAY_SCRIPT, arrayTaskDir, renderArrayJobScript, renderArrayParams, type ArrayTask } from './arrayJob';
import { followSlurmArray } from './followSlurmArray';
import { hostShell } from './hostShell';
import { packRunBundle } from './packRunBundle';
import { prepareRemoteRun } from './prepareRemoteRun';
import { sbatchOptions } from './remoteJob';
import { remotePath, shellQuote } from './shellQuote';
import type { RemoteLaunchOptions, RemoteRunHandle } from './remoteRunTypes';
import type { RunTargetState, SlurmTarget } from './targetTypes';

/** A sweep on a compute target: the options of one remote run, with one param set per trial. */
export interface RemoteSweepOptions extends Omit<RemoteLaunchOptions, 'params' | 'name'> {
  /** One trial per param set, in order (trial i is array task i). */
  paramSets: Params[];
  /** Params every trial shares, under each trial's. */
  params?: Params;
  /** Trials running at once (`%P` of the array; at most this many remote runs on an ssh host). Default: all. */
  parallel?: number;
  /** The trials' names are `<name>-<i+1>`; default the experiment's name. */
  name?: string;
  /** Told each trial once it is followed as a remote run (submitted on an ssh host; out of PENDING in an array). */
  onTrial?: (index: number, handle: RemoteRunHandle) => void;
}

export interface RemoteSweepHandle {
  /** The one array job's id (SLURM); undefined on an ssh host. */
  readonly arrayJobId?: string;
  readonly experiment: string;
  /** Every trial's final run, in trial order, once all have ended (see submitRemoteSweep for an ssh host). */
  readonly done: Promise<Run[]>;
  /** Cancels every trial (one `scancel ARRAYID` for an array); they end `stopped`. */
  stopAll(): Promise<Run[]>;
}

/** The sweep's id, experiment and trial names and tags: the same as a local sweep's (RunQueue.enqueueSweep). */
export function sweepNaming(o: Pick<RemoteSweepOptions, 'experiment' | 'name' | 'tags'>): {
  sweepId: string;
  experiment: string;
  trial(i: number): { name: string; tags: Record<string, string> };
} {
  const sweepId = newRunId().slice(-6);
  const experiment = o.experiment ?? `sweep-${sweepId}`;
  return {
    sweepId,
    experiment,
    trial: (i) => ({
      name: `${o.name ?? experiment}-${i + 1}`,
      tags: { ...(o.tags ?? {}), 'mlw.sweep': sweepId, 'mlw.sweep.index': String(i) },
    }),
  };
}

/**
 * A grid or random sweep on a SLURM target as ONE job array: records one run per trial (same experiment, git
 * commit and patch), uploads one bundle (the code once, params.txt with a line per trial) over one connection and
 * submits it with one `sbatch --array=0-(N-1)%P`. Task i runs trial i in `t<i>/` of the sweep's folder; its run
 * records job id `ARRAYID_i`; followSlurmArray polls the waiting tasks with one squeue and follows each started one
 * like any remote run (live metrics, pending reason and node, sync back, Stop = `scancel ARRAYID_i` while the others
 * go on). Throws before any job exists when the target or host cannot
 * be used; the trials are then recorded as failed.
 */
export async function submitSlurmArray(o: RemoteSweepOptions & { target: SlurmTarget }): Promise<RemoteSweepHandle> {
  const logger: Logger = o.logger ?? silentLogger;
  const { store, target } = o;
  o.signal?.throwIfAborted();
  const n = o.paramSets.length;
  if (n < 1) throw new Error('A sweep needs at least one trial');
  const { cwd, git, relCwd, ...prepared } = await prepareRemoteRun(o, {
    python: target.python,
    targetName: target.name,
    what: 'sweep',
    logger,
  });
  const naming = sweepNaming(o);
  const host = target.ssh?.host ?? 'localhost';
  const runs: Run[] = [];
  const tasks: ArrayTask[] = [];
  for (let i = 0; i < n; i++) {
    const params = { ...(o.params ?? {}), ...o.paramSets[i] };
    const argv = prepared.argv(params);
    const { name, tags } = naming.trial(i);
    const id = newRunId();
    const run = await prepared.record({
      id,
      name,
      experiment: naming.experiment,
      params,
      tags: { ...tags, 'mlw.target': target.name },
      target: { name: target.name, kind: 'slurm', host, remoteDir: '' },
    });
    const env = prepared.childEnv(run);
    runs.push(run);
    tasks.push({ env, argv });
  }
  const fail = async (e: Error): Promise<never> => {
    const now = Date.now();
    for (const run of runs)
      await store.writeRun({ ...run, status: 'failed', error: e.message, endTime: now, durationMs: now - (run.startTime ?? now) });
    throw e;
  };
  let arrayJobId: string;
  try {
    const parallel = Math.max(1, Math.min(n, Math.floor(o.parallel ?? n)));
    const sbatch = sbatchOptions(target, `mlw-${naming.experiment}`).map((l) =>
      l.startsWith('--output=') ? '--output=t%a/run/slurm-%A_%a.out' : l,
    );
    const bundle = await packRunBundle({
      gitRoot: git?.commit ? git.root : undefined,
      commit: git?.commit,
      patch: git?.patch || undefined,
      folder: git?.commit ? undefined : cwd,
      helperDir: o.helperDir ?? defaultHelperDir(),
      files: {
        [ARRAY_SCRIPT]: { content: renderArrayJobScript({ cwd: relCwd, env: { ...target.env }, sbatch }), mode: 0o755 },
        [ARRAY_PARAMS_FILE]: { content: renderArrayParams(tasks) },
      },
    });
    const remoteDir = `${remotePath(target.workdir)}/${shellQuote(`sweep-${naming.sweepId}-${runs[0].id.slice(0, 8)}`)}`;
    const folders = `i=0; while [ "$i" -lt ${n} ]; do mkdir -p "t$i/run" || exit 1; i=$((i + 1)); done`;
    const submit = `sbatch --parsable ${shellQuote(`--array=0-${n - 1}%${parallel}`)} ${ARRAY_SCRIPT}`;
    const shell = hostShell(target.ssh, store.workspace, o.controlDir);
    const r = await shell.exec(`mkdir -p ${remoteDir} && cd ${remoteDir} && tar -xf - && ${folders} && pwd && ${submit}`, {
      input: bundle,
      timeoutMs: 600_000,
      signal: o.signal,
    });
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`;
      throw new Error(r.linkFailed ? `Cannot reach ${shell.label}: ${why}` : `Submitting the sweep to ${target.name} failed: ${why}`);
    }
    const [abs, jobLine] = r.stdout.trim().split('\n').slice(-2);
    arrayJobId = (jobLine ?? '').split(';')[0].trim();
    if (!abs?.startsWith('/') || !/^\d+$/.test(arrayJobId))
      throw new Error(`Unexpected answer from ${shell.label}: ${r.stdout.trim().slice(0, 200)}`);
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const state: RunTargetState = {
        ...(runs[i].target as RunTargetState),
        remoteDir: `${abs}/${arrayTaskDir(i)}`,
        jobId: `${arrayJobId}_${i}`,
        state: 'PENDING',
        lastContact: now,
      };
      runs[i] = { ...runs[i], target: state };
      await store.writeRun(runs[i]);
    }
    logger.info(
      `Sweep of ${n} trials submitted to ${target.name} as job array ${arrayJobId} (${parallel} at a time) in ${shell.label}:${abs}`,
    );
  } catch (e) {
    return fail(e as Error);
  }
  const follower = followSlurmArray({ ...o, target, arrayJobId, runIds: runs.map((r) => r.id) });
  return { arrayJobId, experiment: naming.experiment, done: follower.done, stopAll: () => follower.stopAll() };
}
