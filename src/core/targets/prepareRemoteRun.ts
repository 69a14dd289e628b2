import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readGitInfo, type GitSnapshot } from '../git/readGitInfo';
import { isFile } from '../isFile';
import type { Logger } from '../logger';
import { buildChildEnv, paramArgs } from '../runs/buildChildCommand';
import { processIdentity } from '../runs/processLiveness';
import { PATCH_FILE, type Params, type Run } from '../runs/runTypes';
import { gitIgnores } from './gitIgnores';
import type { RemoteLaunchOptions } from './remoteRunTypes';
import type { RunTargetState } from './targetTypes';

/** What every remote run records, besides its id, name, params and target state. */
export interface RemoteRunFields {
  id: string;
  name: string;
  experiment: string;
  params: Params;
  tags: Record<string, string>;
  target: RunTargetState;
}

export interface PreparedRemoteRun {
  /** The local working directory (absolute). */
  cwd: string;
  /** The recorded commit and patch; undefined when the code is shipped as a folder (no git, or ignored by it). */
  git: GitSnapshot | undefined;
  /** `cwd` relative to what is shipped (the repository's top, or `cwd` itself), with `/`. */
  relCwd: string;
  /** The script relative to `cwd`, with `/`. */
  relScript: string;
  /** The command a run with these params runs: python, the script, its args, then the params unless passed by env. */
  argv(params: Params): string[];
  /** The MLW_* variables of the child for this run (MLW_RUN_DIR left out: the run folder is remote). */
  childEnv(f: Pick<RemoteRunFields, 'id' | 'experiment' | 'name' | 'params'>): Record<string, string>;
  /** Records the run (running, launched by this process) with its git commit and dirty patch; failed if that fails. */
  record(f: RemoteRunFields): Promise<Run>;
  /** Records `run` as failed with `e`'s message and throws `e`. */
  fail(run: Run, e: Error): Promise<never>;
}

type PrepareOptions = Pick<RemoteLaunchOptions, 'store' | 'script' | 'cwd' | 'args' | 'paramsMode' | 'paramArgStyle' | 'notes' | 'signal'>;

/**
 * What starting any remote run takes before its kind-specific part (ssh, SLURM, SLURM array, docker, kubernetes): the
 * script must exist and be inside what is shipped, git is read (a workspace in an ignored folder of an enclosing
 * repository is not in its commits: shipped as a folder), an untracked script is refused (other untracked files are
 * warned about: they are not shipped), and the run's command, child env and record are made the same way.
 */
export async function prepareRemoteRun(
  o: PrepareOptions,
  x: { python: string; targetName: string; what: 'run' | 'sweep'; logger: Logger },
): Promise<PreparedRemoteRun> {
  const { store } = o;
  const cwd = path.resolve(o.cwd ?? store.workspace);
  const scriptAbs = path.resolve(cwd, o.script);
  if (!(await isFile(scriptAbs))) throw new Error(`Script not found: ${scriptAbs}`);
  let git = await readGitInfo(cwd, { logger: x.logger, signal: o.signal, ignorePaths: [store.dir] });
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
    const message = `${git.untracked.length} untracked file(s) are not shipped to ${x.targetName} (only the commit and the patch of tracked files are): ${git.untracked.slice(0, 5).join(', ')}`;
    if (untrackedScript)
      throw new Error(`${relScript} is not tracked by git: add it (git add) so that the ${x.what}'s code is recorded. ${message}`);
    x.logger.warn(message);
  }
  const fail = async (run: Run, e: Error): Promise<never> => {
    const endTime = Date.now();
    await store.writeRun({ ...run, status: 'failed', error: e.message, endTime, durationMs: endTime - (run.startTime ?? 0) });
    throw e;
  };
  const argv = (params: Params): string[] => [
    x.python,
    relScript,
    ...(o.args ?? []),
    ...(o.paramsMode === 'env' ? [] : paramArgs(params, o.paramArgStyle)),
  ];
  return {
    cwd,
    git,
    relCwd,
    relScript,
    argv,
    childEnv(f) {
      const env: Record<string, string> = {};
      const childEnv = buildChildEnv({
        base: {},
        runId: f.id,
        runDir: '',
        experiment: f.experiment,
        name: f.name,
        params: f.params,
        paramsMode: o.paramsMode ?? 'args',
      });
      for (const [k, v] of Object.entries(childEnv)) if (v !== undefined && k !== 'MLW_RUN_DIR') env[k] = v;
      return env;
    },
    async record(f) {
      const run = await store.createRun({
        id: f.id,
        name: f.name,
        experiment: f.experiment,
        command: argv(f.params),
        interpreter: x.python,
        cwd,
        params: f.params,
        status: 'running',
        startTime: Date.now(),
        tags: f.tags,
        notes: o.notes ?? '',
        owner: { launcher: processIdentity() },
        target: f.target,
      });
      if (git) {
        try {
          if (git.patch) await fsp.writeFile(path.join(store.runDir(run.id), PATCH_FILE), git.patch);
        } catch (e) {
          return fail(run, e as Error);
        }
        run.git = {
          commit: git.commit,
          branch: git.branch,
          dirty: git.dirty,
          diffHash: git.diffHash,
          patchFile: git.patch ? PATCH_FILE : null,
        };
      }
      return run;
    },
    fail,
  };
}
