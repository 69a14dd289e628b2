import { promises as fsp } from 'node:fs';
import { isFile } from '../isFile';
import * as path from 'node:path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { readGitInfo } from '../git/readGitInfo';
import { gitIgnores } from './gitIgnores';
import { buildChildEnv, defaultHelperDir, paramArgs } from '../runs/buildChildCommand';
import { processIdentity } from '../runs/processLiveness';
import { newRunId } from '../runs/runId';
import { PATCH_FILE } from '../runs/runTypes';
import { attachRemoteRun } from './attachRemoteRun';
import type { RemoteLaunchOptions, RemoteRunHandle } from './remoteRunTypes';
import { submitDockerRun } from './docker/submitDockerRun';
import { hostShell } from './hostShell';
import { submitKubernetesRun } from './kubernetes/submitKubernetesRun';
import { packRunBundle } from './packRunBundle';
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
  const cwd = path.resolve(o.cwd ?? store.workspace);
  const scriptAbs = path.resolve(cwd, o.script);
  if (!(await isFile(scriptAbs))) throw new Error(`Script not found: ${scriptAbs}`);
  let git = await readGitInfo(cwd, { logger, signal: o.signal, ignorePaths: [store.dir] });
  // A workspace in an ignored folder of an enclosing repository is not in its commits: shipped as a folder.
  if (git?.commit && (await gitIgnores(git.root, path.relative(git.root, await fsp.realpath(scriptAbs))))) git = undefined;
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
  const argv = [target.python, relScript, ...(o.args ?? []), ...(o.paramsMode === 'env' ? [] : paramArgs(params, o.paramArgStyle))];
  const id = newRunId();
  const host = target.kind === 'slurm' && !target.ssh ? 'localhost' : (target.ssh?.host ?? 'localhost');
  const state: RunTargetState = { name: target.name, kind: target.kind, host, remoteDir: '' };
  let run = await store.createRun({
    id,
    name: o.name ?? `${path.basename(o.script).replace(/\.[^.]*$/, '')}-${id.slice(-4)}`,
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
  const fail = async (e: Error): Promise<never> => {
    run = { ...run, status: 'failed', error: e.message, endTime: Date.now() };
    run.durationMs = (run.endTime ?? 0) - (run.startTime ?? 0);
    await store.writeRun(run);
    throw e;
  };
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
    const env: Record<string, string> = { ...target.env };
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
    return fail(e as Error);
  }
  return attachRemoteRun({ ...o, runId: run.id });
}
