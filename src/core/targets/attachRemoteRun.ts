import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '../logger';
import type { ChildOutcome } from '../runs/finishRun';
import { HEARTBEAT_INTERVAL_MS, processIdentity } from '../runs/processLiveness';
import { DEFAULT_ARTIFACT_EXTENSIONS } from '../runs/scanArtifacts';
import { STOP_FILE } from '../runs/stopRunById';
import { METRICS_FILE, OUTPUT_FILE, PRUNE_FILE, type Run } from '../runs/runTypes';
import { attachDockerRun } from './docker/attachDockerRun';
import { finishRemoteRun } from './finishRemoteRun';
import { saveTargetState } from './saveTargetState';
import { hostShell, type HostShell } from './hostShell';
import { attachKubernetesRun } from './kubernetes/attachKubernetesRun';
import { REMOTE_EXIT_FILE } from './remoteJob';
import { RemoteFollower } from './RemoteFollower';
import { shellQuote } from './shellQuote';
import { parseScontrolJob, slurmEndReason, slurmStateEnded } from './slurmJobState';
import { syncBack } from './syncBack';
import type { AttachOptions, RemoteRunHandle } from './remoteRunTypes';
import { OUTPUTS_DIR } from './remoteRunTypes';
import type { RunTargetState, Target } from './targetTypes';

export { OUTPUTS_DIR, type AttachOptions, type RemoteRunHandle };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Probe {
  /** The host did not answer. */
  down?: boolean;
  state?: string;
  reason?: string;
  node?: string;
  /** The job has ended, with this outcome. */
  ended?: ChildOutcome & { reason?: string };
}

/** One state poll: a single command on the host. */
async function probe(shell: HostShell, target: Target, t: RunTargetState, stopRequested: boolean): Promise<Probe> {
  const dir = shellQuote(t.remoteDir);
  const exitFile = `${dir}/run/${REMOTE_EXIT_FILE}`;
  const job = shellQuote(t.jobId ?? '0');
  const command =
    target.kind === 'slurm'
      ? `printf 'exit=%s\\n' "$(cat ${exitFile} 2>/dev/null)"; scontrol show job -o ${job} 2>&1 || true`
      : `printf 'exit=%s\\n' "$(cat ${exitFile} 2>/dev/null)"; if kill -0 -- -${job} 2>/dev/null; then echo alive=1; else echo alive=0; fi`;
  const r = await shell.exec(command, { timeoutMs: 30_000 });
  if (r.linkFailed) return { down: true };
  const exitText = /^exit=(\d*)$/m.exec(r.stdout)?.[1] ?? '';
  const exitCode = exitText === '' ? undefined : Number(exitText);
  if (target.kind !== 'slurm') {
    if (exitCode !== undefined) return { state: 'COMPLETED', ended: { code: exitCode, signal: null } };
    if (/^alive=1$/m.test(r.stdout)) return { state: 'RUNNING' };
    if (stopRequested) return { state: 'CANCELLED', ended: { code: null, signal: 'SIGTERM' } };
    return {
      state: 'FAILED',
      ended: { code: null, signal: null, error: `The run's processes on ${shell.label} ended without an exit status (killed?)` },
    };
  }
  const s = parseScontrolJob(r.stdout);
  if (!s) {
    // Purged from the controller (MinJobAge): the exit file is all that is left.
    if (exitCode !== undefined) return { state: 'COMPLETED', ended: { code: exitCode, signal: null } };
    // A pending task of a job array that was cancelled is gone at once ("Job N_i not found").
    if (stopRequested && /Invalid job id|not found/i.test(r.stdout))
      return { state: 'CANCELLED', ended: { code: null, signal: 'SIGTERM' } };
    if (/Invalid job id|not found/i.test(r.stdout))
      return {
        state: 'UNKNOWN',
        ended: { code: null, signal: null, error: `SLURM no longer knows job ${t.jobId} and it left no exit status` },
      };
    return { state: t.state }; // scontrol itself failed (controller restarting): ask again
  }
  const p: Probe = { state: s.state, reason: s.reason, node: s.node };
  if (!slurmStateEnded(s.state)) return p;
  const reason = slurmEndReason(s);
  if (s.state === 'COMPLETED' || s.state === 'FAILED') p.ended = { code: exitCode ?? s.exitCode ?? null, signal: null };
  else if (s.state === 'CANCELLED')
    p.ended = { code: null, signal: 'SIGTERM' }; // Stop here, or scancel on the cluster
  else p.ended = { code: exitCode ?? null, signal: null, error: reason ?? `SLURM: the job ended as ${s.state}` };
  return p;
}

async function stopCommand(shell: HostShell, target: Target, t: RunTargetState): Promise<boolean> {
  const job = shellQuote(t.jobId ?? '0');
  const command =
    target.kind === 'slurm'
      ? `scancel ${job}`
      : `kill -TERM -- -${job} 2>/dev/null; (sleep 5; kill -KILL -- -${job} 2>/dev/null) </dev/null >/dev/null 2>&1 & true`;
  const r = await shell.exec(command, { timeoutMs: 30_000 });
  return !r.linkFailed;
}

/** A study's prune signal, written into the local run by its driver, copied into the remote run folder for the helper. */
async function forwardPrune(shell: HostShell, t: RunTargetState): Promise<boolean> {
  const r = await shell.exec(`: > ${shellQuote(`${t.remoteDir}/run/${PRUNE_FILE}`)}`, { timeoutMs: 30_000 });
  return !r.linkFailed;
}

/**
 * Follows a run on its target until it ends: tails its metrics and output into the local run folder (≤ 1 s behind on a
 * live link), polls the scheduler or the process, records the scheduler state, pending reason, node and the last
 * contact in run.json, marks "unreachable since" while the host does not answer (the run keeps going there) and
 * catches up when it answers again; at the end copies the rest, syncs the run folder and the model files it wrote
 * back, snapshots the artifacts and records the outcome as for a local run. Used right after submitting, and to
 * re-attach to a running remote run after a restart.
 */
export async function attachRemoteRun(o: AttachOptions): Promise<RemoteRunHandle> {
  const { store, target } = o;
  const scalars = o.scalars;
  if (scalars) await store.updateRun(o.runId, (r) => void (r.target && (r.target.scalars = scalars)));
  if (target.kind === 'docker') return attachDockerRun(o);
  if (target.kind === 'kubernetes') return attachKubernetesRun({ ...o, target });
  const logger = o.logger ?? silentLogger;
  const run0 = await store.readRawRun(o.runId);
  if (!run0?.target) throw new Error(`Run ${o.runId} is not a run on a compute target`);
  // This process follows the run now (a re-attach after a restart takes it over).
  let run: Run = await store.updateRun(run0.id, (r) => {
    r.owner = { ...r.owner, launcher: processIdentity() };
  });
  const dir = store.runDir(run.id);
  const ssh = target.kind === 'ssh' || target.kind === 'slurm' ? target.ssh : undefined;
  const shell = hostShell(ssh, store.workspace, o.controlDir);
  const t = run.target as RunTargetState;
  const remoteRun = `${t.remoteDir}/run`;
  const followers = [
    new RemoteFollower(shell, `${remoteRun}/${METRICS_FILE}`, path.join(dir, METRICS_FILE)),
    new RemoteFollower(shell, `${remoteRun}/${OUTPUT_FILE}`, path.join(dir, OUTPUT_FILE), o.onOutput),
  ].map((f) => f.start());
  let stopRequested = false;
  let stopSent = false;
  let pruneSent = false;
  let detached = false;
  let resolveStop: (() => void) | undefined;
  const wake = () => resolveStop?.();
  const pollMs = o.pollMs ?? 2000;
  const heartbeat = setInterval(() => void store.touchHeartbeat(run.id).catch(() => undefined), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  await store.touchHeartbeat(run.id).catch(() => undefined);

  const save = async (change: (t: RunTargetState) => void) => {
    run = await saveTargetState(store, run, change, o.onState);
  };

  const loop = async (): Promise<ChildOutcome | 'detached'> => {
    let lastSaved = 0;
    for (;;) {
      if (detached) return 'detached';
      if (!stopRequested && existsSync(path.join(dir, STOP_FILE))) stopRequested = true; // mlw runs stop, another window
      if (stopRequested && !stopSent) stopSent = await stopCommand(shell, target, run.target as RunTargetState);
      if (!pruneSent && existsSync(path.join(dir, PRUNE_FILE))) pruneSent = await forwardPrune(shell, run.target as RunTargetState);
      const p = await probe(shell, target, run.target as RunTargetState, stopRequested);
      const now = Date.now();
      if (p.down) {
        if (!run.target?.unreachableSince) logger.warn(`Run ${run.id}: ${shell.label} does not answer; the run goes on there`);
        await save((s) => (s.unreachableSince ??= now));
      } else {
        const fresh = now - lastSaved > 15_000;
        await save((s) => {
          if (s.unreachableSince) logger.info(`Run ${run.id}: ${shell.label} answers again`);
          delete s.unreachableSince;
          if (p.state) s.state = p.state;
          if (p.reason) s.reason = p.reason;
          else delete s.reason;
          if (p.node) s.node = p.node;
          if (fresh || p.ended) s.lastContact = now;
        });
        if (fresh) lastSaved = now;
        if (p.ended && p.state === 'CANCELLED') stopRequested = true; // it ends `stopped`, its data kept
        if (p.ended) return p.ended;
      }
      await new Promise<void>((resolve) => {
        resolveStop = resolve;
        setTimeout(resolve, pollMs);
      });
    }
  };

  const finish = async (outcome: ChildOutcome): Promise<Run> => {
    await Promise.all(followers.map((f) => f.close()));
    // The rest of the output and metrics, then the folder: retried until the host answers.
    for (;;) {
      try {
        let ok = true;
        for (const f of followers) ok = (await f.catchUp()) && ok;
        if (!ok) throw new Error(`${shell.label} does not answer`);
        await syncBack(shell, remoteRun, dir, { exclude: [METRICS_FILE, OUTPUT_FILE, `${REMOTE_EXIT_FILE}*`] });
        const names = DEFAULT_ARTIFACT_EXTENSIONS.map((e) => `-name ${shellQuote(`*${e}`)}`).join(' -o ');
        const found = await shell.exec(
          `cd ${shellQuote(t.remoteDir)}/code && find . -type f -newer ../job.sh \\( ${names} \\) -print 2>/dev/null || true`,
          { timeoutMs: 60_000 },
        );
        if (found.linkFailed) throw new Error(`${shell.label} does not answer`);
        const files = found.stdout
          .split('\n')
          .filter(Boolean)
          .map((f) => f.replace(/^\.\//, ''));
        await fsp.mkdir(path.join(dir, OUTPUTS_DIR), { recursive: true });
        if (files.length) await syncBack(shell, `${t.remoteDir}/code`, path.join(dir, OUTPUTS_DIR), { files });
        break;
      } catch (e) {
        logger.warn(`Run ${run.id}: syncing back from ${shell.label}: ${(e as Error).message}; retrying`);
        await save((s) => (s.unreachableSince ??= Date.now()));
        await sleep(pollMs);
      }
    }
    await save((s) => {
      delete s.unreachableSince;
      s.lastContact = Date.now();
    });
    clearInterval(heartbeat);
    return finishRemoteRun({
      store,
      run,
      dir,
      outcome,
      stopRequested,
      pruned: existsSync(path.join(dir, PRUNE_FILE)),
      targetName: target.name,
      snapshotMaxBytes: o.snapshotMaxBytes,
      logger,
    });
  };

  const done = loop()
    .then(async (outcome) => {
      if (outcome !== 'detached') return finish(outcome);
      clearInterval(heartbeat);
      await Promise.all(followers.map((f) => f.close()));
      return { ...run };
    })
    .catch(async (e: Error) => {
      clearInterval(heartbeat);
      await Promise.all(followers.map((f) => f.close()));
      logger.error(`Run ${run.id}: following it on ${target.name} failed: ${e.message}`);
      return { ...run };
    });
  return {
    id: run.id,
    dir,
    run: { ...run },
    done,
    stop() {
      stopRequested = true;
      wake();
      return done;
    },
    async detach() {
      detached = true;
      wake();
      await done;
    },
  };
}
