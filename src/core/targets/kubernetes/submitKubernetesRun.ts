import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createGzip } from 'node:zlib';
import { findKubectl } from '../../deploy/kubectl';
import { silentLogger, type Logger } from '../../logger';
import { defaultHelperDir } from '../../runs/buildChildCommand';
import { newRunId } from '../../runs/runId';
import { packRunBundle } from '../packRunBundle';
import { prepareRemoteRun } from '../prepareRemoteRun';
import type { RunTargetState } from '../targetTypes';
import type { KubernetesLaunchOptions, KubernetesRunHandle } from './kubernetesRunTypes';
import { attachKubernetesRun } from './attachKubernetesRun';
import { KubectlTarget, kubectlError } from './KubectlTarget';
import { POD_ROOT, renderRunJob, type RunJobManifests } from './renderRunJob';

/** The manifest applied for a run, kept in its run folder. */
export const JOB_MANIFEST_FILE = 'job.yaml';

export interface KubernetesDryRun {
  manifests: RunJobManifests;
  /** Where the whole manifest (bundle included) was written. */
  file: string;
}

export const gzip = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  const z = createGzip({ level: 9 });
  stream.pipe(z);
  for await (const c of z) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

/** What both a run and a dry run need: the code that would run (exactly the commit plus the patch) and its Job. */
async function prepare(o: KubernetesLaunchOptions, id: string, logger: Logger) {
  const { target } = o;
  const prepared = await prepareRemoteRun(o, { python: target.python, targetName: target.name, what: 'run', logger });
  const { cwd, git, relCwd } = prepared;
  const params = o.params ?? {};
  const argv = prepared.argv(params);
  const name = o.name ?? `${path.basename(o.script).replace(/\.[^.]*$/, '')}-${id.slice(-4)}`;
  const env: Record<string, string> = {
    ...target.env,
    ...prepared.childEnv({ id, experiment: o.experiment ?? 'Default', name, params }),
  };
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
  const manifests = renderRunJob({ target, name: `mlw-${id}`, runs: [{ id, argv, env }], cwd: relCwd, bundle });
  return { prepared, params, argv, name, manifests };
}

/**
 * `mlw run SCRIPT --target K8S --dry-run`: the Job that would be applied, written to `.mlw/targets/NAME.dry-run.yaml`;
 * nothing is recorded or applied.
 */
export async function renderKubernetesDryRun(o: KubernetesLaunchOptions): Promise<KubernetesDryRun> {
  const { manifests } = await prepare(o, newRunId(), o.logger ?? silentLogger);
  const file = path.join(o.store.workspace, '.mlw', 'targets', `${o.target.name}.dry-run.yaml`);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, manifests.yaml);
  return { manifests, file };
}

/**
 * Starts a run on a kubernetes target: records it (git commit, dirty patch, params) as for a local run, renders a
 * ConfigMap holding exactly the recorded commit plus the patch and the helper, and a Job that runs it (written to the
 * run folder as job.yaml), applies both with `kubectl apply --server-side -f` (server-side: a client-side apply would
 * copy the bundle into an annotation, which holds only 256 KiB), then follows the Job (attachKubernetesRun). Throws
 * before any Job exists when kubectl is missing or the cluster refuses; the run is then recorded as failed.
 */
export async function submitKubernetesRun(o: KubernetesLaunchOptions): Promise<KubernetesRunHandle> {
  const logger = o.logger ?? silentLogger;
  const { store, target } = o;
  o.signal?.throwIfAborted();
  const program = o.kubectl ?? (await findKubectl());
  if (!program) throw new Error('kubectl is not on PATH: install it (and a kubeconfig for the cluster) to run on a kubernetes target');
  const kubectl = new KubectlTarget(program, target);
  const id = newRunId();
  const { prepared, params, name, manifests } = await prepare(o, id, logger);
  const state: RunTargetState = {
    name: target.name,
    kind: 'kubernetes',
    host: target.context ?? 'current-context',
    remoteDir: POD_ROOT,
    jobId: `mlw-${id}`,
  };
  const run = await prepared.record({
    id,
    name,
    experiment: o.experiment ?? 'Default',
    params,
    tags: { ...(o.tags ?? {}), 'mlw.target': target.name },
    target: state,
  });
  const dir = store.runDir(run.id);
  try {
    const file = path.join(dir, JOB_MANIFEST_FILE);
    await fsp.writeFile(file, manifests.yaml);
    const r = await kubectl.run(['apply', '--server-side', '--field-manager=ml-workbench', '-f', file], {
      timeoutMs: 120_000,
      signal: o.signal,
    });
    if (r.code !== 0)
      throw new Error(
        `${r.down ? `Cannot reach the cluster (${kubectl.label})` : `kubectl apply on ${target.name} failed`}: ${kubectlError(r)}`,
      );
    state.state = 'PENDING';
    state.lastContact = Date.now();
    run.target = state;
    await store.writeRun(run);
    logger.info(
      `Run ${run.id} submitted to ${target.name} as Job ${state.jobId} (${kubectl.label}): ${r.stdout.trim().replace(/\n/g, '; ')}`,
    );
  } catch (e) {
    return prepared.fail(run, e as Error);
  }
  return attachKubernetesRun({ ...o, runId: run.id, kubectl: program });
}
