import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readGitInfo } from '../../git/readGitInfo';
import { isFile } from '../../isFile';
import type { Logger } from '../../logger';
import { silentLogger } from '../../logger';
import { LABELS, MANAGED_LABEL } from '../../docker/dockerEngine';
import { buildChildEnv, defaultHelperDir, paramArgs } from '../../runs/buildChildCommand';
import { processIdentity } from '../../runs/processLiveness';
import { newRunId } from '../../runs/runId';
import { PATCH_FILE } from '../../runs/runTypes';
import type { RemoteLaunchOptions, RemoteRunHandle } from '../remoteRunTypes';
import { packRunBundle } from '../packRunBundle';
import { renderJobScript } from '../remoteJob';
import type { RunTargetState } from '../targetTypes';
import { attachDockerRun } from './attachDockerRun';
import { readTarFiles } from './containerArchive';
import { connectTargetEngine } from './connectTargetEngine';
import { CONTAINER_DIR, gpuDeviceRequests, readDockerTarget, TARGET_LABEL } from './dockerTargetSpec';
import { targetImage } from './targetImage';

/**
 * Starts a run on a docker target: records the run as for a local one (commit, dirty patch, params), makes the image
 * (the project's Dockerfile, or a base image plus requirements.txt), creates a container labelled with the run id,
 * copies exactly the recorded commit plus the patch with the helper and the job script into /mlw, starts it and
 * follows it (attachDockerRun). Throws before a container runs when the engine does not answer or the image cannot
 * be made; the run is then recorded as failed (and the container removed).
 */
export async function submitDockerRun(o: RemoteLaunchOptions): Promise<RemoteRunHandle> {
  const logger: Logger = o.logger ?? silentLogger;
  const { store, target } = o;
  o.signal?.throwIfAborted();
  const spec = readDockerTarget(target);
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
  if (git?.untracked.length) {
    const untrackedScript = git.untracked.includes(path.posix.join(relCwd, relScript).replace(/^\.\//, ''));
    const message = `${git.untracked.length} untracked file(s) are not shipped to ${target.name} (only the commit and the patch of tracked files are): ${git.untracked.slice(0, 5).join(', ')}`;
    if (untrackedScript)
      throw new Error(`${relScript} is not tracked by git: add it (git add) so that the run's code is recorded. ${message}`);
    logger.warn(message);
  }
  const params = o.params ?? {};
  const argv = [spec.python, relScript, ...(o.args ?? []), ...(o.paramsMode === 'env' ? [] : paramArgs(params, o.paramArgStyle))];
  const id = newRunId();
  const engine = await connectTargetEngine(spec, store.workspace, { controlDir: o.controlDir });
  const state: RunTargetState = { name: target.name, kind: 'docker', host: engine.label || 'default engine', remoteDir: CONTAINER_DIR };
  let run = await store.createRun({
    id,
    name: o.name ?? `${path.basename(o.script).replace(/\.[^.]*$/, '')}-${id.slice(-4)}`,
    experiment: o.experiment ?? 'Default',
    command: argv,
    interpreter: spec.python,
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
  let containerId: string | undefined;
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
    const env: Record<string, string> = { ...spec.env };
    const childEnv = buildChildEnv({
      base: {},
      runId: run.id,
      runDir: '',
      experiment: run.experiment,
      name: run.name,
      params,
      paramsMode: o.paramsMode ?? 'args',
    });
    for (const [k, v] of Object.entries(childEnv)) if (v !== undefined && k !== 'MLW_RUN_DIR') env[k] = v;
    const script = renderJobScript({ argv, cwd: relCwd, env });
    const bundle = () =>
      packRunBundle({
        gitRoot: git?.commit ? git.root : undefined,
        commit: git?.commit,
        patch: git?.patch || undefined,
        folder: git?.commit ? undefined : cwd,
        helperDir: o.helperDir ?? defaultHelperDir(),
        files: { 'job.sh': { content: script, mode: 0o755 } },
      });
    const inRun = (name: string) => `code/${relCwd ? `${relCwd}/` : ''}${name}`;
    const wanted = [spec.dockerfile ?? 'Dockerfile', 'requirements.txt'];
    const recorded = await readTarFiles(await bundle(), wanted.map(inRun));
    const image = await targetImage(
      {
        docker: engine.docker,
        spec,
        bundle,
        relCwd,
        recorded: async (name) => recorded.get(inRun(name)),
        logger,
        signal: o.signal,
      },
      state.host,
    );
    o.signal?.throwIfAborted();
    const container = await engine.docker.createContainer({
      name: `mlw-${run.id}`,
      Image: image,
      Cmd: ['sh', `${CONTAINER_DIR}/job.sh`],
      WorkingDir: CONTAINER_DIR,
      Labels: { [MANAGED_LABEL]: 'true', [LABELS.runId]: run.id, [TARGET_LABEL]: target.name },
      HostConfig: { Init: true, DeviceRequests: gpuDeviceRequests(spec.gpus) },
    });
    containerId = container.id;
    await container.putArchive(await bundle(), { path: CONTAINER_DIR });
    await container.start();
    state.jobId = container.id.slice(0, 12);
    state.state = 'RUNNING';
    state.lastContact = Date.now();
    run.target = state;
    await store.writeRun(run);
    logger.info(`Run ${run.id} started on ${target.name} in container ${state.jobId} (${image}) on ${state.host}`);
  } catch (e) {
    if (containerId)
      await engine.docker
        .getContainer(containerId)
        .remove({ force: true })
        .catch(() => undefined);
    engine.close();
    run = { ...run, status: 'failed', error: (e as Error).message, endTime: Date.now() };
    run.durationMs = (run.endTime ?? 0) - (run.startTime ?? 0);
    await store.writeRun(run);
    throw e;
  }
  engine.close();
  return attachDockerRun({ ...o, runId: run.id });
}
