import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, promises as fsp } from 'node:fs';
import { isFile } from '../isFile';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { readGitInfo } from '../git/readGitInfo';
import { startLaunchMlflow } from '../mlflow/mlflowForLaunch';
import { RunMirror, type MirrorResult, type RunMirrorOptions } from '../mlflow/client/RunMirror';
import {
  buildChildEnv,
  defaultHelperDir,
  isNotebook,
  NOTEBOOK_DRIVER,
  paramArgs,
  type ParamArgStyle,
  type ParamsMode,
} from './buildChildCommand';
import { FileFollower } from './FileFollower';
import { fileRecord } from './hashFile';
import { HEARTBEAT_INTERVAL_MS, processIdentity } from './processLiveness';
import { MetricsWriter } from './MetricsWriter';
import { ScalarCapture, type ScalarCaptureOptions } from './ScalarCapture';
import { SystemMetricsSampler } from './systemMetrics/SystemMetricsSampler';
import { DEFAULT_SYSTEM_METRICS_INTERVAL_S } from './systemMetrics/systemMetricNames';
import { findExecutable, resolveInterpreter } from './resolveInterpreter';
import { killProcessGroup as killGroup } from './killProcessGroup';
import { newRunId } from './runId';
import { finishRun, type ChildOutcome } from './finishRun';
import { STOP_FILE } from './stopRunById';
import type { RunStore } from './RunStore';
import { snapshotFiles, type FileSnapshot, type ScanOptions } from './scanArtifacts';
import { METRICS_FILE, OUTPUT_FILE, PATCH_FILE, PRUNE_FILE, RAW_STDERR, RAW_STDOUT, type Params, type Run } from './runTypes';

export interface LaunchOptions {
  store: RunStore;
  /**
   * A Python script, run as `<interpreter> <script> ...`, or a notebook (`.ipynb`), executed headless in a kernel of the
   * interpreter by python/mlw_notebook.py, params injected after its `parameters` cell. Give this or `command`.
   */
  script?: string;
  /** A full argument vector (program first) run as is, e.g. `['bash', 'train.sh']`. */
  command?: string[];
  /** Extra arguments after the script / command (before the param arguments). */
  args?: string[];
  /** Interpreter path or name for `script`; default `$MLW_PYTHON`, else `python3` on PATH. */
  interpreter?: string;
  params?: Params;
  /** Default 'args'. */
  paramsMode?: ParamsMode;
  /** Default 'flags' (`--key=value`). */
  paramArgStyle?: ParamArgStyle;
  experiment?: string;
  name?: string;
  /** Working directory of the child; default the store's workspace. */
  cwd?: string;
  /** Environment additions for the child (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /** Input files hashed (sha256) at launch. */
  dataInputs?: string[];
  tags?: Record<string, string>;
  notes?: string;
  /**
   * Also log the run to this MLflow tracking server while it runs (see RunMirror); the local
   * record is kept in full either way.
   */
  mirror?: RunMirrorOptions;
  /** Start this queued run (made by RunQueue) instead of creating a new one. */
  runId?: string;
  /** Called with every chunk of the child's output. */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Folder holding mlw_run.py, put first on PYTHONPATH; default the shipped `python/` folder. */
  helperDir?: string;
  /** Record new or changed model files (*.onnx, *.pt, ...) under cwd as artifacts. Default true. */
  scanArtifacts?: boolean | ScanOptions;
  /** Record git commit, branch, dirty state and patch. Default true. */
  git?: boolean;
  /** Grace period when `signal` aborts the run. Default 5000 ms. */
  stopGraceMs?: number;
  /** Printed scalars: metrics from `name=value` / `name: value` output lines. Default on, with the built-in rules. */
  scalars?: ScalarCaptureOptions;
  /** Artifacts larger than this are recorded by sha256 only, not snapshotted (default 2 GiB; 0: no limit). */
  snapshotMaxBytes?: number;
  /**
   * Seconds between samples of system metrics (`system/*`: CPU and RSS of the run's process tree, the machine's CPU and
   * memory, each GPU when nvidia-smi is on PATH). Default 5; 0: none.
   */
  systemMetricsInterval?: number;
}

export interface RunHandle {
  readonly id: string;
  readonly dir: string;
  /** The run as written when the child started. */
  readonly run: Run;
  readonly pid: number | undefined;
  /** Settles with the final run once the child has exited and everything is recorded. Never rejects. */
  readonly done: Promise<Run>;
  /** With `mirror`: how logging to the MLflow server went (settles just before `done`). Never rejects. */
  readonly mirrored?: Promise<MirrorResult>;
  /** SIGTERM (to the child's process group), then SIGKILL after `graceMs`. The run ends as `stopped`. */
  stop(graceMs?: number): Promise<Run>;
}

/** Kept per stream: stdout and stderr are read from two files, and a crash's stderr must survive a chatty stdout. */
const STDOUT_TAIL_CHARS = 2500;
const STDERR_TAIL_CHARS = 1500;

async function prepareCommand(o: LaunchOptions, cwd: string): Promise<{ argv: string[]; interpreter: string | null }> {
  if (!!o.script === !!o.command) throw new Error('launchRun needs either a script or a command');
  const params = paramArgs(o.params ?? {}, o.paramArgStyle);
  const withParams = o.paramsMode === 'env' ? [] : params;
  if (o.script) {
    const interpreter = await resolveInterpreter(o.interpreter, { ...process.env, ...o.env }, cwd);
    const script = path.resolve(cwd, o.script);
    if (!(await isFile(script))) throw new Error(`Script not found: ${script}`);
    if (isNotebook(script)) {
      // Params reach a notebook as an injected cell (from MLW_PARAMS), never as arguments.
      if (o.args?.length) throw new Error(`A notebook takes no script arguments (${o.args.join(' ')}): give params with --param k=v`);
      const helperDir = o.helperDir ?? defaultHelperDir();
      if (!helperDir) throw new Error(`Cannot run ${o.script}: the notebook driver ${NOTEBOOK_DRIVER} is missing from this installation`);
      return { argv: [interpreter, path.join(helperDir, NOTEBOOK_DRIVER), o.script], interpreter };
    }
    return { argv: [interpreter, o.script, ...(o.args ?? []), ...withParams], interpreter };
  }
  const [program, ...rest] = o.command ?? [];
  const exe = program && (await findExecutable(program, { ...process.env, ...o.env }, cwd));
  if (!exe) throw new Error(`Command not found: ${program ?? '(empty command)'}`);
  return { argv: [exe, ...rest, ...(o.args ?? []), ...withParams], interpreter: null };
}

function joinTails(t: { stdout: string; stderr: string }): string {
  return t.stderr ? `${t.stdout}${t.stdout.endsWith('\n') || !t.stdout ? '' : '\n'}--- stderr ---\n${t.stderr}` : t.stdout;
}

/**
 * Starts a training run: records it in the store (status running, git state, hashed inputs),
 * spawns the child from an argument vector (never through a shell) in its own process group,
 * streams its output to stdout.log and `onOutput`, turns printed scalars (`loss=0.5`, `mlw: k=v`;
 * see ScalarCapture) into metrics, and when the child ends records status, exit code or signal,
 * artifacts, metric summary, times.
 *
 * Throws (before any run exists) when the interpreter, script or a data input is missing.
 */
export async function launchRun(o: LaunchOptions, logger: Logger = silentLogger, signal?: AbortSignal): Promise<RunHandle> {
  signal?.throwIfAborted();
  const store = o.store;
  const cwd = path.resolve(o.cwd ?? store.workspace);
  const { argv, interpreter } = await prepareCommand(o, cwd);
  for (const input of o.dataInputs ?? []) {
    if (!(await isFile(path.resolve(cwd, input)))) throw new Error(`Data input not found: ${path.resolve(cwd, input)}`);
  }
  const params = o.params ?? {};
  const fields: Partial<Run> = {
    experiment: o.experiment ?? 'Default',
    command: argv,
    interpreter,
    cwd,
    params,
    status: 'running',
    startTime: Date.now(),
    tags: { ...(o.tags ?? {}) },
    notes: o.notes ?? '',
    owner: { launcher: processIdentity() },
  };
  let run: Run;
  if (o.runId) {
    run = await store.updateRun(o.runId, (r) => {
      if (r.status !== 'queued') throw new Error(`Run ${o.runId} is ${r.status}, not queued`);
      Object.assign(r, fields, { name: o.name ?? r.name, tags: { ...r.tags, ...fields.tags } });
    });
  } else {
    const base = o.script ? path.basename(o.script).replace(/\.[^.]*$/, '') : path.basename(argv[0]);
    const id = newRunId();
    run = await store.createRun({ ...fields, id, name: o.name ?? `${base}-${id.slice(-4)}` });
  }
  const dir = store.runDir(run.id);
  await store.touchHeartbeat(run.id);
  try {
    run.dataInputs = [];
    for (const input of o.dataInputs ?? []) run.dataInputs.push(await fileRecord(input, cwd, signal));
    if (o.git !== false) {
      const git = await readGitInfo(cwd, { logger, signal, ignorePaths: [store.dir] });
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
    }
  } catch (e) {
    run.status = signal?.aborted ? 'stopped' : 'failed';
    run.error = (e as Error).message;
    run.endTime = Date.now();
    run.durationMs = run.endTime - (run.startTime ?? run.endTime);
    await store.writeRun(run);
    throw e;
  }
  await store.writeRun(run);

  const scan: ScanOptions | undefined =
    o.scanArtifacts === false ? undefined : o.scanArtifacts === true || o.scanArtifacts === undefined ? {} : o.scanArtifacts;
  const before: FileSnapshot | undefined = scan ? await snapshotFiles(cwd, scan) : undefined;
  const mirror = o.mirror ? RunMirror.start(o.mirror, run, store, logger) : undefined;
  const writer = await MetricsWriter.open(path.join(dir, METRICS_FILE));
  const log = createWriteStream(path.join(dir, OUTPUT_FILE), { flags: 'a' });
  const mlflow = await startLaunchMlflow({ store, run, writer, callerEnv: o.env, logger }); // MLflow's tracking API, on loopback
  const env = buildChildEnv({
    base: process.env,
    extra: { ...mlflow.env, ...o.env },
    runId: run.id,
    runDir: dir,
    experiment: run.experiment,
    name: run.name,
    params,
    paramsMode: o.paramsMode ?? 'args',
    helperDir: o.helperDir ?? defaultHelperDir(),
  });
  // The child writes its stdout and stderr to files of the run folder, never to pipes: it never
  // waits for this process (a pipe costs it a wake-up of ours per printed line), and it keeps
  // running with its output kept if this process dies. FileFollower reads them as they grow.
  const raw = { stdout: path.join(dir, RAW_STDOUT), stderr: path.join(dir, RAW_STDERR) };
  const fds = { stdout: openSync(raw.stdout, 'w'), stderr: openSync(raw.stderr, 'w') };
  let child: ChildProcess;
  try {
    child = spawn(argv[0], argv.slice(1), {
      cwd,
      env,
      stdio: ['ignore', fds.stdout, fds.stderr],
      detached: process.platform !== 'win32', // own process group: stop() reaches data-loader workers too
      windowsHide: true,
    });
  } finally {
    closeSync(fds.stdout); // the child holds its own copies
    closeSync(fds.stderr);
  }

  const tails = { stdout: '', stderr: '' };
  let stopRequested = false;
  let killTimer: NodeJS.Timeout | undefined;
  const heartbeat = setInterval(() => void store.touchHeartbeat(run.id).catch(() => undefined), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  const scalars = new ScalarCapture(
    o.scalars,
    (points) => void writer.append(points),
    (message) => logger.warn(`Run ${run.id}: ${message}`),
  );
  const onData = (stream: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    return (chunk: Buffer) => {
      log.write(chunk);
      const text = decoder.write(chunk);
      const keep = stream === 'stdout' ? STDOUT_TAIL_CHARS : STDERR_TAIL_CHARS;
      tails[stream] = text.length >= keep ? text.slice(-keep) : (tails[stream] + text).slice(-keep);
      scalars.push(text, stream);
      try {
        o.onOutput?.(text, stream);
      } catch (e) {
        logger.warn(`Run ${run.id}: output callback failed: ${(e as Error).message}`);
      }
    };
  };
  const follower = new FileFollower([
    { file: raw.stdout, onData: onData('stdout') },
    { file: raw.stderr, onData: onData('stderr') },
  ]);
  const endOutput = async (): Promise<void> => {
    follower.close(); // reads what is left
    // What the child wrote is now in stdout.log; a grandchild still writing writes into nothing.
    await Promise.all(Object.values(raw).map((f) => fsp.rm(f, { force: true })));
  };

  const outcome = new Promise<ChildOutcome>((resolve) => {
    child.once('error', (e) =>
      resolve({
        code: null,
        signal: null,
        error: (e as NodeJS.ErrnoException).code === 'ENOENT' ? `Cannot start ${argv[0]}: not found` : e.message,
      }),
    );
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
  });

  if (child.pid !== undefined) {
    run.pid = child.pid;
    run.owner = { launcher: run.owner?.launcher ?? processIdentity(), child: processIdentity(child.pid) };
    await store.writeRun(run).catch((e) => logger.warn(`Run ${run.id}: cannot record pid: ${(e as Error).message}`));
  }
  logger.info(`Run ${run.id} started: ${argv.join(' ')} (pid ${child.pid ?? '?'})`);
  const interval = o.systemMetricsInterval ?? DEFAULT_SYSTEM_METRICS_INTERVAL_S;
  const sampler =
    child.pid !== undefined && interval > 0
      ? SystemMetricsSampler.start({
          rootPid: child.pid,
          intervalMs: interval * 1000,
          write: (points) => void writer.append(points),
          warn: (message) => logger.warn(`Run ${run.id}: ${message}`),
          env: { ...process.env, ...o.env },
          cwd,
        })
      : undefined;
  child.once('exit', () => sampler?.stop()); // the run's processes are gone: nothing more to measure

  const recorded: Promise<Run> = outcome.then(async (result) => {
    sampler?.stop();
    clearInterval(heartbeat);
    if (killTimer) clearTimeout(killTimer);
    signal?.removeEventListener('abort', onAbort);
    await endOutput();
    scalars.end();
    await mlflow.stop(result);
    await new Promise<void>((resolve) => log.end(resolve));
    const stoppedElsewhere = await fsp.stat(path.join(dir, STOP_FILE)).then(
      () => true,
      () => false,
    );
    const pruned = await fsp.stat(path.join(dir, PRUNE_FILE)).then(
      () => true,
      () => false,
    );
    const final = await finishRun({
      store,
      run,
      writer,
      outcome: result,
      stopRequested: stopRequested || stoppedElsewhere,
      pruned,
      tail: joinTails(tails),
      cwd,
      before,
      scan,
      snapshotMaxBytes: o.snapshotMaxBytes,
      onNote: async (line) => {
        await fsp.appendFile(path.join(dir, OUTPUT_FILE), `${line}\n`).catch(() => undefined);
        try {
          o.onOutput?.(`${line}\n`, 'stderr');
        } catch (e) {
          logger.warn(`Run ${run.id}: output callback failed: ${(e as Error).message}`);
        }
      },
      logger,
    });
    logger.info(
      `Run ${run.id} ${final.status}${final.exitCode !== null ? ` (exit ${final.exitCode})` : final.signal ? ` (${final.signal})` : ''}`,
    );
    return final;
  });
  // `done` waits for the server's copy too, so a CLI that exits after it loses nothing there.
  const mirrored = mirror && recorded.then((final) => mirror.finish(final));
  const done = mirrored ? mirrored.then(() => recorded) : recorded;

  const stop = (graceMs = o.stopGraceMs ?? 5000): Promise<Run> => {
    if (!stopRequested) {
      stopRequested = true;
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      killTimer.unref();
    }
    return done;
  };
  const onAbort = () => void stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  return { id: run.id, dir, run: { ...run }, pid: child.pid, done, mirrored, stop };
}
