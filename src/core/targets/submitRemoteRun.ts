import * as path from 'node:path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { defaultHelperDir } from '../runs/buildChildCommand';
import { newRunId } from '../runs/runId';
import { attachRemoteRun } from './attachRemoteRun';
import type { RemoteLaunchOptions, RemoteRunHandle } from './remoteRunTypes';
import { submitDockerRun } from './docker/submitDockerRun';
import { hostShell } from './hostShell';
import { submitKubernetesRun } from './kubernetes/submitKubernetesRun';
import { packRunBundle } from './packRunBundle';
import { prepareRemoteRun } from './prepareRemoteRun';
import { renderJobScript, sbatchOptions } from './remoteJob';
import { remotePath, shellQuote } from './shellQuote';
import type { RunTargetState } from './targetTypes';

export type { RemoteLaunchOptions };

/**
 * Starts a run on an ssh or SLURM target: records the run (git commit, dirty patch, params) as for a local run, ships
 * exactly the recorded commit plus the patch (outside git: the folder) with the helper and a job script to
 * `<workdir>/<run-id>/` on the host in one tar over one connection, starts it there (detached in its own process
 * group on an ssh host; `sbatch` on a SLURM login node or here), records the job in run.json and follows it
 * (attachRemoteRun). Throws before any job exists when the target cannot be used or the host does not answer;
 * the run is then recorded as failed.
 */
export async function submitRemoteRun(o: RemoteLaunchOptions): Promise<RemoteRunHandle> {
  const logger: Logger = o.logger ?? silentLogger;
  const { store, target } = o;
  o.signal?.throwIfAborted();
  if (target.kind === 'docker') return submitDockerRun(o);
  if (target.kind === 'kubernetes') return submitKubernetesRun({ ...o, target });
  if (target.kind !== 'ssh' && target.kind !== 'slurm') {
    const t = target as { name: string; kind: string };
    throw new Error(`Target ${t.name} is a ${t.kind} target: running on it is not supported yet (ssh and slurm are)`);
  }
  const { cwd, git, relCwd, ...prepared } = await prepareRemoteRun(o, {
    python: target.python,
    targetName: target.name,
    what: 'run',
    logger,
  });
  const params = o.params ?? {};
  const argv = prepared.argv(params);
  const id = newRunId();
  const host = target.kind === 'slurm' && !target.ssh ? 'localhost' : (target.ssh?.host ?? 'localhost');
  const state: RunTargetState = { name: target.name, kind: target.kind, host, remoteDir: '' };
  const run = await prepared.record({
    id,
    name: o.name ?? `${path.basename(o.script).replace(/\.[^.]*$/, '')}-${id.slice(-4)}`,
    experiment: o.experiment ?? 'Default',
    params,
    tags: { ...(o.tags ?? {}), 'mlw.target': target.name },
    target: state,
  });
  try {
    const env: Record<string, string> = { ...target.env, ...prepared.childEnv({ ...run, params }) };
    const script = renderJobScript({
      argv,
      cwd: relCwd,
      env,
      sbatch: target.kind === 'slurm' ? sbatchOptions(target, `mlw-${run.name}`) : undefined,
    });
    const bundle = await packRunBundle({
      gitRoot: git?.commit ? git.root : undefined,
      commit: git?.commit,
      patch: git?.patch || undefined,
      folder: git?.commit ? undefined : cwd,
      helperDir: o.helperDir ?? defaultHelperDir(),
      files: { 'job.sh': { content: script, mode: 0o755 } },
    });
    const remoteDir = `${remotePath(target.workdir)}/${shellQuote(run.id)}`;
    const start =
      target.kind === 'slurm' ? 'sbatch --parsable job.sh' : '(setsid nohup bash job.sh </dev/null >run/.launch.log 2>&1 & echo "$!")';
    const shell = hostShell(target.ssh, store.workspace, o.controlDir);
    const r = await shell.exec(`mkdir -p ${remoteDir} && cd ${remoteDir} && tar -xf - && pwd && ${start}`, {
      input: bundle,
      timeoutMs: 600_000,
      signal: o.signal,
    });
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`;
      throw new Error(r.linkFailed ? `Cannot reach ${shell.label}: ${why}` : `Starting the run on ${target.name} failed: ${why}`);
    }
    const [abs, jobLine] = r.stdout.trim().split('\n').slice(-2);
    const jobId = (jobLine ?? '').split(';')[0].trim();
    if (!abs?.startsWith('/') || !/^\d+$/.test(jobId))
      throw new Error(`Unexpected answer from ${shell.label}: ${r.stdout.trim().slice(0, 200)}`);
    state.remoteDir = abs;
    state.jobId = jobId;
    state.state = target.kind === 'slurm' ? 'PENDING' : 'RUNNING';
    state.lastContact = Date.now();
    run.target = state;
    await store.writeRun(run);
    logger.info(
      `Run ${run.id} submitted to ${target.name} (${target.kind === 'slurm' ? `job ${jobId}` : `pid ${jobId}`}) in ${shell.label}:${abs}`,
    );
  } catch (e) {
    return prepared.fail(run, e as Error);
  }
  return attachRemoteRun({ ...o, runId: run.id });
}
