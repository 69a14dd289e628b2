import * as path from 'node:path';
import type { Logger } from '../../logger';
import { silentLogger } from '../../logger';
import { LABELS, MANAGED_LABEL } from '../../docker/dockerEngine';
import { defaultHelperDir } from '../../runs/buildChildCommand';
import { newRunId } from '../../runs/runId';
import type { Run } from '../../runs/runTypes';
import type { RemoteLaunchOptions, RemoteRunHandle } from '../remoteRunTypes';
import { packRunBundle } from '../packRunBundle';
import { prepareRemoteRun } from '../prepareRemoteRun';
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
  const { cwd, git, relCwd, ...prepared } = await prepareRemoteRun(o, {
    python: spec.python,
    targetName: target.name,
    what: 'run',
    logger,
  });
  const params = o.params ?? {};
  const argv = prepared.argv(params);
  const id = newRunId();
  const engine = await connectTargetEngine(spec, store.workspace, { controlDir: o.controlDir });
  const state: RunTargetState = { name: target.name, kind: 'docker', host: engine.label || 'default engine', remoteDir: CONTAINER_DIR };
  let run: Run;
  try {
    run = await prepared.record({
      id,
      name: o.name ?? `${path.basename(o.script).replace(/\.[^.]*$/, '')}-${id.slice(-4)}`,
      experiment: o.experiment ?? 'Default',
      params,
      tags: { ...(o.tags ?? {}), 'mlw.target': target.name },
      target: state,
    });
  } catch (e) {
    engine.close();
    throw e;
  }
  let containerId: string | undefined;
  try {
    const env: Record<string, string> = { ...spec.env, ...prepared.childEnv(run) };
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
    return prepared.fail(run, e as Error);
  }
  engine.close();
  return attachDockerRun({ ...o, runId: run.id });
}
