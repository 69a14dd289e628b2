import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createGzip } from 'node:zlib';
import { findKubectl } from '../../deploy/kubectl';
import { readGitInfo } from '../../git/readGitInfo';
import { isFile } from '../../isFile';
import { silentLogger, type Logger } from '../../logger';
import { buildChildEnv, defaultHelperDir, paramArgs } from '../../runs/buildChildCommand';
import { processIdentity } from '../../runs/processLiveness';
import { newRunId } from '../../runs/runId';
import { PATCH_FILE, type Run } from '../../runs/runTypes';
import { packRunBundle } from '../packRunBundle';
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

const gzip = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  const z = createGzip({ level: 9 });
  stream.pipe(z);
  for await (const c of z) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

/** What both a run and a dry run need: the code that would run (exactly the commit plus the patch) and its Job. */
async function prepare(o: KubernetesLaunchOptions, id: string, logger: Logger) {
  const { store, target } = o;
  const cwd = path.resolve(o.cwd ?? store.workspace);
  const scriptAbs = path.resolve(cwd, o.script);
  if (!(await isFile(scriptAbs))) throw new Error(`Script not found: ${scriptAbs}`);
  const git = await readGitInfo(cwd, { logger, signal: o.signal, ignorePaths: [store.dir] });
  const top = git?.commit ? git.root : cwd;
  const relCwd = path
    .relative(await fsp.realpath(top), await fsp.realpath(cwd))
    .split(path.sep)
    .join('/');
  const relScript = path.relative(cwd, scriptAbs).split(path.sep).join('/');
  if (relScript.startsWith('..') || relCwd.startsWith('..')) throw new Error(`${o.script} is outside ${top}: only that folder is shipped`);
  if (git?.untracked.includes(path.posix.join(relCwd, relScript).replace(/^\.\//, '')))
    throw new Error(`${relScript} is not tracked by git: add it (git add) so that the run's code is recorded`);
  if (git?.untracked.length)
    logger.warn(`${git.untracked.length} untracked file(s) are not shipped to ${target.name}: ${git.untracked.slice(0, 5).join(', ')}`);
  const params = o.params ?? {};
  const argv = [target.python, relScript, ...(o.args ?? []), ...(o.paramsMode === 'env' ? [] : paramArgs(params, o.paramArgStyle))];
  const name = o.name ?? `${path.basename(o.script).replace(/\.[^.]*$/, '')}-${id.slice(-4)}`;
  const env: Record<string, string> = { ...target.env };
  const childEnv = buildChildEnv({
    base: {},
    runId: id,
    runDir: '',
    experiment: o.experiment ?? 'Default',
    name,
    params,
    paramsMode: o.paramsMode ?? 'args',
  });
  for (const [k, v] of Object.entries(childEnv)) if (v !== undefined && k !== 'MLW_RUN_DIR') env[k] = v;
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
  return { cwd, git, params, argv, name, manifests };
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
  const { cwd, git, params, argv, name, manifests } = await prepare(o, id, logger);
  const state: RunTargetState = {
    name: target.name,
    kind: 'kubernetes',
    host: target.context ?? 'current-context',
    remoteDir: POD_ROOT,
    jobId: `mlw-${id}`,
  };
  let run: Run = await store.createRun({
    id,
    name,
    experiment: o.experiment ?? 'Default',
    command: argv,
    interpreter: target.python,
    cwd,
    params,
    status: 'running',
    startTime: Date.now(),
    tags: { ...(o.tags ?? {}), 'mlw.target': target.name },
    notes: o.notes ?? '',
    owner: { launcher: processIdentity() },
    target: state,
  });
  const dir = store.runDir(run.id);
  try {
    if (git) {
      if (git.patch) await fsp.writeFile(path.join(dir, PATCH_FILE), git.patch);
      run.git = {
        commit: git.commit,
        branch: git.branch,
        dirty: git.dirty,
        diffHash: git.diffHash,
        patchFile: git.patch ? PATCH_FILE : null,
      };
    }
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
    run = { ...run, status: 'failed', error: (e as Error).message, endTime: Date.now() };
    run.durationMs = (run.endTime ?? 0) - (run.startTime ?? 0);
    await store.writeRun(run);
    throw e;
  }
  return attachKubernetesRun({ ...o, runId: run.id, kubectl: program });
}
