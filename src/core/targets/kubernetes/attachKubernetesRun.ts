import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { findKubectl } from '../../deploy/kubectl';
import { silentLogger } from '../../logger';
import type { ChildOutcome } from '../../runs/finishRun';
import { HEARTBEAT_INTERVAL_MS, processIdentity } from '../../runs/processLiveness';
import { STOP_FILE } from '../../runs/stopRunById';
import { METRICS_FILE, OUTPUT_FILE, type Run } from '../../runs/runTypes';
import type { RunTargetState } from '../targetTypes';
import { copyPodRunBack } from './copyPodRunBack';
import { KubectlTarget, kubectlError } from './KubectlTarget';
import { finishRemoteRun } from '../finishRemoteRun';
import { saveTargetState } from '../saveTargetState';
import type { KubernetesAttachOptions, KubernetesRunHandle } from './kubernetesRunTypes';
import { PodLogFollower } from './PodLogFollower';
import { readJobProbe } from './readJobProbe';
import { LABEL_INDEX, LABEL_JOB } from './renderRunJob';

/** Local file of a Kubernetes run: how many lines of its pod log are already taken (PodLogFollower). */
export const POD_LOG_OFFSET_FILE = 'pod-log.offset';

/**
 * Follows a run's Job on a Kubernetes target until it ends: polls `kubectl get job,pod -l mlworkbench.dev/job=NAME -o
 * json` (phase, pending reason, node; "unreachable since" while the API server does not answer), follows `kubectl logs
 * -f` of its pod into stdout.log and metrics.jsonl, and once the script's exit line came copies the run folder and its
 * model files back (copyPodRunBack), deletes the bundle's ConfigMap and records the outcome as for a local run. A pod
 * that fails (OOMKilled, ImagePullBackOff, the Job's DeadlineExceeded) ends the run with that reason. Stop deletes the
 * Job (`kubectl delete job … --wait=false --cascade=background`). Used right after submitting, and to re-attach.
 */
export async function attachKubernetesRun(o: KubernetesAttachOptions): Promise<KubernetesRunHandle> {
  const { store, target } = o;
  const logger = o.logger ?? silentLogger;
  const program = o.kubectl ?? (await findKubectl());
  if (!program) throw new Error('kubectl is not on PATH: install it (and a kubeconfig for the cluster) to run on a kubernetes target');
  const kubectl = new KubectlTarget(program, target);
  const run0 = await store.readRawRun(o.runId);
  if (!run0?.target?.jobId) throw new Error(`Run ${o.runId} is not a run on a Kubernetes target`);
  let run: Run = await store.updateRun(run0.id, (r) => {
    r.owner = { ...r.owner, launcher: processIdentity() };
  });
  const dir = store.runDir(run.id);
  const jobName = run0.target.jobId;
  // A trial of a sweep's Indexed Job is its pod alone: read by the completion-index label, stopped by deleting
  // that pod (backoffLimitPerIndex 0 fails the index without a retry), the Job and its ConfigMap left to the others.
  const index = run0.target.index;
  const trial = index !== undefined;
  const selector = trial ? `${LABEL_JOB}=${jobName},${LABEL_INDEX}=${index}` : `${LABEL_JOB}=${jobName}`;
  const what = trial ? `pod ${index} of Job ${jobName}` : `job/${jobName}`;
  const deleteArgs = trial
    ? ['delete', 'pod', '-l', selector, '--ignore-not-found', '--wait=false']
    : ['delete', `job/${jobName}`, '--ignore-not-found', '--wait=false', '--cascade=background'];
  const follower = new PodLogFollower(
    kubectl,
    { output: path.join(dir, OUTPUT_FILE), metrics: path.join(dir, METRICS_FILE), offset: path.join(dir, POD_LOG_OFFSET_FILE) },
    o.onOutput,
  );
  let stopRequested = false;
  let detached = false;
  let resolveWait: (() => void) | undefined;
  const wake = () => resolveWait?.();
  const pollMs = o.pollMs ?? 2000;
  const heartbeat = setInterval(() => void store.touchHeartbeat(run.id).catch(() => undefined), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  await store.touchHeartbeat(run.id).catch(() => undefined);

  const save = async (change: (t: RunTargetState) => void) => {
    run = await saveTargetState(store, run, change, o.onState);
  };
  const down = async () => {
    if (!run.target?.unreachableSince) logger.warn(`Run ${run.id}: the cluster (${kubectl.label}) does not answer; the Job goes on there`);
    await save((s) => (s.unreachableSince ??= Date.now()));
  };

  /** A stopped trial: whether its pod exists (or the Job is gone), so that deleting it stops that index for good. */
  const trialPodExists = async (): Promise<boolean> => {
    const r = await kubectl.run(['get', 'job,pod', '-l', `${LABEL_JOB}=${jobName}`, '-o', 'json'], { timeoutMs: 30_000 });
    if (r.code !== 0) return true;
    const p = readJobProbe(r.stdout, undefined, index);
    return !!p.pod || p.state === 'GONE' || !!p.ended;
  };

  const loop = async (): Promise<ChildOutcome | 'detached'> => {
    for (;;) {
      if (detached) return 'detached';
      if (!stopRequested && existsSync(path.join(dir, STOP_FILE))) stopRequested = true;
      if (stopRequested && trial && !(await trialPodExists())) {
        // Kubernetes cannot skip an index it has not started: its pod is deleted as soon as the Job creates it.
        await save((s) => (s.reason = 'stopping: its pod is deleted once the Job starts this index'));
      } else if (stopRequested) {
        const r = await kubectl.run(
          trial
            ? deleteArgs
            : ['delete', `job/${jobName}`, `configmap/${jobName}`, '--ignore-not-found', '--wait=false', '--cascade=background'],
        );
        if (r.code === 0) {
          await save((s) => {
            s.state = 'DELETED';
            delete s.reason;
          });
          await follower.catchUp().catch(() => false);
          return { code: null, signal: 'SIGTERM' };
        }
        if (!r.down) throw new Error(`kubectl delete ${what} failed: ${kubectlError(r)}`);
        await down();
      } else {
        const r = await kubectl.run(['get', 'job,pod', '-l', `${LABEL_JOB}=${jobName}`, '-o', 'json'], { timeoutMs: 30_000 });
        if (r.code !== 0) {
          if (!r.down) logger.warn(`Run ${run.id}: kubectl get: ${kubectlError(r)}`);
          await down();
        } else {
          const p = readJobProbe(r.stdout, undefined, index);
          await save((s) => {
            delete s.unreachableSince;
            s.state = p.state;
            if (p.reason) s.reason = p.reason;
            else delete s.reason;
            if (p.node) s.node = p.node;
            s.lastContact = Date.now();
          });
          if (p.pod && p.logs && !p.ended && !follower.following && follower.exitCode === undefined) follower.start(p.pod);
          if (follower.exitCode !== undefined && p.pod && p.state === 'RUNNING') {
            // The script ended; its container waits for the copy.
            try {
              const n = await copyPodRunBack(kubectl, p.pod, target.python, dir);
              logger.info(`Run ${run.id}: ${n} file(s) copied back from pod ${p.pod}`);
            } catch (e) {
              logger.warn(`Run ${run.id}: ${(e as Error).message}`);
            }
            return { code: follower.exitCode, signal: null };
          }
          if (p.state === 'GONE') {
            if (follower.exitCode !== undefined) return { code: follower.exitCode, signal: null };
            return {
              code: null,
              signal: null,
              error: `The ${trial ? `pod ${index} of Job ${jobName}` : `Job ${jobName}`} is gone from ${kubectl.label} (deleted, or removed after its TTL)`,
            };
          }
          if (p.ended) {
            if (p.logs) await follower.catchUp().catch(() => false);
            if (!p.ended.error && follower.exitCode !== undefined) return { code: follower.exitCode, signal: null };
            if (p.ended.error) {
              // A pod stuck in ImagePullBackOff would wait forever: the Job goes, its log stays in the run.
              await kubectl.run(deleteArgs);
              return { code: p.ended.code, signal: null, error: p.ended.error };
            }
            return { code: p.ended.code, signal: null };
          }
        }
      }
      await new Promise<void>((resolve) => {
        resolveWait = resolve;
        setTimeout(resolve, pollMs);
      });
    }
  };

  const finish = async (outcome: ChildOutcome): Promise<Run> => {
    await follower.close();
    // A sweep's ConfigMap feeds the pods still to start: submitKubernetesSweep deletes it once every trial ended.
    if (!trial) await kubectl.run(['delete', `configmap/${jobName}`, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    clearInterval(heartbeat);
    return finishRemoteRun({
      store,
      run,
      dir,
      outcome,
      stopRequested,
      targetName: target.name,
      snapshotMaxBytes: o.snapshotMaxBytes,
      logger,
    });
  };

  const done = loop()
    .then(async (outcome) => {
      if (outcome !== 'detached') return finish(outcome);
      clearInterval(heartbeat);
      await follower.close();
      return { ...run };
    })
    .catch(async (e: Error) => {
      clearInterval(heartbeat);
      await follower.close();
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
