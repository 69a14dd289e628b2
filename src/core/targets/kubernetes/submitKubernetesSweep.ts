import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { findKubectl } from '../../deploy/kubectl';
import { silentLogger } from '../../logger';
import { defaultHelperDir } from '../../runs/buildChildCommand';
import { newRunId } from '../../runs/runId';
import type { Run } from '../../runs/runTypes';
import { packRunBundle } from '../packRunBundle';
import { prepareRemoteRun } from '../prepareRemoteRun';
import type { RemoteRunHandle } from '../remoteRunTypes';
import { sweepNaming, type RemoteSweepHandle, type RemoteSweepOptions } from '../submitSlurmArray';
import type { KubernetesTarget, RunTargetState } from '../targetTypes';
import { attachKubernetesRun } from './attachKubernetesRun';
import { KubectlTarget, kubectlError } from './KubectlTarget';
import { POD_ROOT, renderRunJob, type PodRun } from './renderRunJob';
import { gzip, JOB_MANIFEST_FILE } from './submitKubernetesRun';

/**
 * A grid or random sweep on a kubernetes target as ONE Indexed Job: records one run per trial (one experiment, the
 * same commit and patch, tags as a local sweep's), renders one ConfigMap (the bundle once, pod.json with one entry
 * per trial) and one Job (completionMode Indexed, completions = trials, parallelism, backoffLimitPerIndex 0), written
 * to every trial's folder as job.yaml, and applies them with ONE `kubectl apply --server-side`. Trial i is the pod
 * with label batch.kubernetes.io/job-completion-index=i, followed by attachKubernetesRun like a single run (live
 * metrics from its log, copy back, outcome). Stopping one trial deletes its pod: with backoffLimitPerIndex 0 the Job
 * controller counts that index failed and does not retry it (Kubernetes has no other way to cancel one index), the
 * others go on. stopAll (Ctrl-C) deletes the Job and its ConfigMap. Throws before any Job exists when kubectl is
 * missing or the cluster refuses; the trials are then recorded as failed.
 */
export async function submitKubernetesSweep(
  o: RemoteSweepOptions & { target: KubernetesTarget; kubectl?: string },
): Promise<RemoteSweepHandle> {
  const logger = o.logger ?? silentLogger;
  const { store, target } = o;
  o.signal?.throwIfAborted();
  const n = o.paramSets.length;
  if (n < 1) throw new Error('A sweep needs at least one trial');
  const program = o.kubectl ?? (await findKubectl());
  if (!program) throw new Error('kubectl is not on PATH: install it (and a kubeconfig for the cluster) to run on a kubernetes target');
  const kubectl = new KubectlTarget(program, target);
  const prepared = await prepareRemoteRun(o, { python: target.python, targetName: target.name, what: 'sweep', logger });
  const { cwd, git, relCwd } = prepared;
  const naming = sweepNaming(o);
  const runs: Run[] = [];
  const pods: PodRun[] = [];
  let jobName = '';
  for (let i = 0; i < n; i++) {
    const params = { ...(o.params ?? {}), ...o.paramSets[i] };
    const { name, tags } = naming.trial(i);
    const id = newRunId();
    jobName ||= `mlw-${id}`;
    const run = await prepared.record({
      id,
      name,
      experiment: naming.experiment,
      params,
      tags: { ...tags, 'mlw.target': target.name },
      target: {
        name: target.name,
        kind: 'kubernetes',
        host: target.context ?? 'current-context',
        remoteDir: POD_ROOT,
        jobId: jobName,
        index: i,
      },
    });
    runs.push(run);
    pods.push({ id, argv: prepared.argv(params), env: { ...target.env, ...prepared.childEnv(run) } });
  }
  const fail = async (e: Error): Promise<never> => {
    const now = Date.now();
    for (const run of runs)
      await store.writeRun({ ...run, status: 'failed', error: e.message, endTime: now, durationMs: now - (run.startTime ?? now) });
    throw e;
  };
  const parallel = Math.max(1, Math.min(n, Math.floor(o.parallel ?? n)));
  try {
    const bundle = await gzip(
      await packRunBundle({
        gitRoot: git?.commit ? git.root : undefined,
        commit: git?.commit,
        patch: git?.patch || undefined,
        folder: git?.commit ? undefined : cwd,
        helperDir: o.helperDir ?? defaultHelperDir(),
        files: {},
      }),
    );
    const manifests = renderRunJob({ target, name: jobName, runs: pods, cwd: relCwd, bundle, parallelism: parallel });
    const files = runs.map((r) => path.join(store.runDir(r.id), JOB_MANIFEST_FILE));
    for (const f of files) await fsp.writeFile(f, manifests.yaml);
    const r = await kubectl.run(['apply', '--server-side', '--field-manager=ml-workbench', '-f', files[0]], {
      timeoutMs: 120_000,
      signal: o.signal,
    });
    if (r.code !== 0)
      throw new Error(
        `${r.down ? `Cannot reach the cluster (${kubectl.label})` : `kubectl apply on ${target.name} failed`}: ${kubectlError(r)}`,
      );
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      runs[i] = { ...runs[i], target: { ...(runs[i].target as RunTargetState), state: 'PENDING', lastContact: now } };
      await store.writeRun(runs[i]);
    }
    logger.info(`Sweep of ${n} trials submitted to ${target.name} as Indexed Job ${jobName} (${parallel} at a time, ${kubectl.label})`);
  } catch (e) {
    return fail(e as Error);
  }
  const handles: RemoteRunHandle[] = [];
  for (let i = 0; i < n; i++) {
    const h = await attachKubernetesRun({ ...o, target, runId: runs[i].id, kubectl: program });
    handles.push(h);
    o.onTrial?.(i, h);
  }
  const cleanUp = (job: boolean) =>
    kubectl
      .run([
        'delete',
        ...(job ? [`job/${jobName}`] : []),
        `configmap/${jobName}`,
        '--ignore-not-found',
        '--wait=false',
        '--cascade=background',
      ])
      .catch(() => undefined);
  let stopping: Promise<unknown> | undefined;
  const done = Promise.all(handles.map((h) => h.done)).then(async (finals) => {
    await stopping;
    await cleanUp(false);
    return finals;
  });
  return {
    experiment: naming.experiment,
    done,
    async stopAll() {
      stopping = cleanUp(true);
      await stopping;
      await Promise.all(handles.map((h) => h.stop()));
      return done;
    },
  };
}
