import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { formatDuration } from '../../core/runs/formatRun';
import { launchRun, type LaunchOptions, type RunHandle } from '../../core/runs/launchRun';
import type { MirrorResult, RunMirrorOptions } from '../../core/mlflow/client/RunMirror';
import { RunQueue } from '../../core/runs/RunQueue';
import { LinePrefixer } from '../../core/runs/LinePrefixer';
import type { SweepSpec } from '../../core/runs/expandSweep';
import type { Params, Run } from '../../core/runs/runTypes';
import { compileScalarPattern } from '../../core/runs/compileScalarPattern';
import type { ScalarCaptureOptions } from '../../core/runs/ScalarCapture';
import { DEFAULT_SNAPSHOT_MAX_BYTES } from '../../core/runs/snapshot/snapshotLimit';
import { parseSystemMetricsInterval } from '../../core/runs/systemMetrics/parseSystemMetricsInterval';
import { DEFAULT_SYSTEM_METRICS_INTERVAL_S } from '../../core/runs/systemMetrics/systemMetricNames';
import { openSettings, setting } from '../../vscode/config';
import { resolveRunInterpreter } from '../../vscode/resolveRunInterpreter';
import type { RunsTree } from './runsTree';
import { keyMetrics } from './runsTree';
import { Command } from '../../commandIds';
import { runCommand } from '../../commands';
import { Disposable } from '../../vscode/disposable';
import { localTrialLauncher } from '../../core/sweeps/launchTrial';
import { remoteTrialLauncher } from '../../core/targets/remoteTrialLauncher';
import type { Target } from '../../core/targets/targetTypes';
import { runStudy, type RunStudyOptions, type StudyResult } from '../../core/sweeps/runStudy';
import { missingOptunaMessage, StudyError } from '../../core/sweeps/StudyDriver';
import { UserError } from '../../vscode/userError';

/** A study Run Sweep… starts (TPE or random over a search space): RunStudyOptions without what the launcher supplies. */
export type StudySpec = Pick<RunStudyOptions, 'study' | 'space' | 'objective' | 'method' | 'trials' | 'parallel' | 'pruner' | 'seed'>;

/** What to start: a script (or a whole command) in a workspace folder. */
export interface LaunchSpec {
  workspace: string;
  script?: string;
  command?: string[];
  args?: string[];
  interpreter?: string;
  params: Params;
  cwd?: string;
  experiment?: string;
  name?: string;
}

/**
 * Starts runs from the editor: output streamed to the "ML Workbench: Runs" channel, a
 * cancellable progress notification (Cancel stops the run), a message when the run ends.
 * Keeps the handles of the runs it started so that Stop reaches them directly.
 */
export class RunLauncher extends Disposable {
  readonly output = this.track(vscode.window.createOutputChannel('ML Workbench: Runs'));
  private readonly active = new Map<string, RunHandle>();
  /** Invalid scalar patterns already reported: one warning per pattern, not one per run. */
  private readonly badPatterns = new Set<string>();

  constructor(
    private readonly tree: RunsTree,
    private readonly helperDir: string,
    private readonly logger: Logger,
    /** Where launched runs are also logged while they run (mlWorkbench.mlflow.logRunsToServer), if anywhere. */
    private readonly mirror: () => Promise<RunMirrorOptions | undefined> = async () => undefined,
  ) {
    super();
    // Stops every run still going (extension shutdown).
    this.track({
      dispose: () => {
        for (const h of this.active.values()) void h.stop(2000);
        this.active.clear();
      },
    });
  }

  /**
   * The interpreter for a run: `explicit` (e.g. the one a rerun recorded), else mlWorkbench.pythonPath
   * when set, else the Python extension's selection, else `$MLW_PYTHON` / python3 on PATH (see
   * pythonInterpreter.ts). A missing one is a UserError with a way out.
   */
  async interpreter(cwd: string, explicit?: string): Promise<string> {
    return resolveRunInterpreter(cwd, this.logger, explicit);
  }

  /**
   * Printed-scalar capture for runs in `cwd`: mlWorkbench.runs.captureScalars and the folder's
   * mlWorkbench.runs.scalarPattern. An invalid pattern is reported once and the default rules apply.
   */
  scalarOptions(cwd: string): ScalarCaptureOptions {
    const scope = vscode.Uri.file(cwd);
    const capture = setting('runs.captureScalars', scope);
    const pattern = setting('runs.scalarPattern', scope).trim();
    if (!capture || !pattern) return { capture };
    try {
      compileScalarPattern(pattern);
      return { capture, pattern };
    } catch (e) {
      if (!this.badPatterns.has(pattern)) {
        this.badPatterns.add(pattern);
        const message = `mlWorkbench.runs.scalarPattern: ${(e as Error).message}. Runs use the default name=value / name: value rules.`;
        this.logger.warn(message);
        void Promise.resolve(vscode.window.showWarningMessage(message, 'Open Settings')).then((choice) => {
          if (choice === 'Open Settings') void openSettings('mlWorkbench.runs.scalarPattern');
        });
      }
      return { capture };
    }
  }

  /** mlWorkbench.runs.snapshotMaxBytes of the folder: artifacts above it are recorded by hash only (0: no limit). */
  snapshotMaxBytes(cwd: string): number {
    const n = setting('runs.snapshotMaxBytes', vscode.Uri.file(cwd));
    return Number.isFinite(n) && n >= 0 ? Math.floor(n) : DEFAULT_SNAPSHOT_MAX_BYTES;
  }

  /** mlWorkbench.runs.systemMetricsInterval of the folder: seconds between system-metric samples (0: none). */
  systemMetricsInterval(cwd: string): number {
    return parseSystemMetricsInterval(setting('runs.systemMetricsInterval', vscode.Uri.file(cwd))) ?? DEFAULT_SYSTEM_METRICS_INTERVAL_S;
  }

  handle(id: string): RunHandle | undefined {
    return this.active.get(id);
  }

  /** Launches the run; with `wait`, resolves with the final run, else with the run as started. */
  async start(spec: LaunchSpec, wait = false): Promise<Run> {
    const store = this.tree.store(spec.workspace);
    const options: LaunchOptions = {
      store,
      script: spec.script,
      command: spec.command,
      args: spec.args,
      interpreter: spec.script ? await this.interpreter(spec.cwd ?? spec.workspace, spec.interpreter) : undefined,
      params: spec.params,
      cwd: spec.cwd ?? spec.workspace,
      experiment: spec.experiment,
      name: spec.name,
      helperDir: this.helperDir,
      onOutput: (text) => this.output.append(text),
      scalars: this.scalarOptions(spec.cwd ?? spec.workspace),
      snapshotMaxBytes: this.snapshotMaxBytes(spec.cwd ?? spec.workspace),
      systemMetricsInterval: this.systemMetricsInterval(spec.cwd ?? spec.workspace),
      mirror: await this.mirror(),
    };
    const handle = await launchRun(options, this.logger);
    this.active.set(handle.id, handle);
    const run = handle.run;
    this.output.appendLine(`\n▶ ${run.name} (${run.id}): ${run.command.join(' ')}`);
    this.output.show(true);
    this.tree.refresh();

    const progress = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Running ${run.name}`, cancellable: true },
      async (p, token) => {
        p.report({ message: `pid ${handle.pid ?? '?'} · Cancel stops the run` });
        const sub = token.onCancellationRequested(() => void handle.stop());
        try {
          return await handle.done;
        } finally {
          sub.dispose();
        }
      },
    );
    const finished = Promise.resolve(progress).then((final) => {
      this.active.delete(handle.id);
      this.tree.refresh();
      this.output.appendLine(
        `■ ${final.name} ${final.status}${final.exitCode !== null ? ` (exit ${final.exitCode})` : ''} after ${formatDuration(final.durationMs)}`,
      );
      this.announce(final);
      void handle.mirrored?.then((r) => this.announceMirror(final, r));
      return final;
    });
    return wait ? finished : run;
  }

  /**
   * Launches one run per param set of `sweep` (spec.params are the base), at most `parallelism`
   * at a time, under one cancellable progress notification (Cancel stops every run of the sweep).
   * With `wait`, resolves with the final runs, else with the ids of the queued runs.
   */
  async startSweep(spec: LaunchSpec, sweep: SweepSpec, parallelism: number, wait = false): Promise<Run[] | string[]> {
    const store = this.tree.store(spec.workspace);
    const interpreter = spec.script ? await this.interpreter(spec.cwd ?? spec.workspace, spec.interpreter) : undefined;
    const queue = new RunQueue({
      parallelism,
      logger: this.logger,
      launch: async (options, logger, signal) => {
        // Runs going in parallel share the channel: each of their lines gets `[run-name] ` in front.
        const prefixer = parallelism > 1 ? new LinePrefixer(`[${options.name ?? options.runId ?? 'run'}] `) : undefined;
        const append = (text: string) => text && this.output.append(text);
        const handle = await launchRun(
          prefixer ? { ...options, onOutput: (text) => append(prefixer.push(text)) } : options,
          logger,
          signal,
        );
        this.active.set(handle.id, handle);
        this.output.appendLine(`\n▶ ${handle.run.name} (${handle.id}): ${handle.run.command.join(' ')}`);
        void handle.done.then((final) => {
          if (prefixer) append(prefixer.flush());
          this.active.delete(handle.id);
          this.output.appendLine(
            `■ ${final.name} ${final.status}${final.exitCode !== null ? ` (exit ${final.exitCode})` : ''} after ${formatDuration(final.durationMs)}`,
          );
        });
        return handle;
      },
      onChange: () => this.tree.refresh(),
    });
    const ids = await queue.enqueueSweep(
      {
        store,
        script: spec.script,
        command: spec.command,
        args: spec.args,
        interpreter,
        cwd: spec.cwd ?? spec.workspace,
        experiment: spec.experiment,
        name: spec.name,
        helperDir: this.helperDir,
        onOutput: (text) => this.output.append(text),
        scalars: this.scalarOptions(spec.cwd ?? spec.workspace),
        snapshotMaxBytes: this.snapshotMaxBytes(spec.cwd ?? spec.workspace),
        systemMetricsInterval: this.systemMetricsInterval(spec.cwd ?? spec.workspace),
        mirror: await this.mirror(),
      },
      { ...sweep, base: { ...spec.params, ...(sweep.base ?? {}) } },
    );
    this.output.show(true);
    this.tree.refresh();
    const all = Promise.all(ids.map((id) => queue.result(id) as Promise<Run>));
    const progress = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sweep of ${ids.length} runs`, cancellable: true },
      async (p, token) => {
        p.report({ message: `${Math.max(1, Math.floor(parallelism))} at a time · Cancel stops the sweep` });
        let ended = 0;
        const sub = token.onCancellationRequested(() => void queue.cancelAll());
        for (const id of ids)
          void queue.result(id)?.then(() => p.report({ message: `${++ended}/${ids.length} runs ended`, increment: 100 / ids.length }));
        try {
          return await all;
        } finally {
          sub.dispose();
        }
      },
    );
    const finished = Promise.resolve(progress).then((runs) => {
      this.tree.refresh();
      const ok = runs.filter((r) => r.status === 'finished').length;
      const text = `Sweep ended: ${ok}/${runs.length} runs finished`;
      const show = ok === runs.length ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
      void Promise.resolve(show(text, 'Compare Runs', 'Show Output')).then((choice) => {
        const nodes = runs.map((r) => ({ type: 'run', entry: { run: r, workspace: spec.workspace } }));
        if (choice === 'Compare Runs') void runCommand(Command.compareRuns, nodes[0], nodes);
        else if (choice === 'Show Output') this.output.show();
      });
      return runs;
    });
    return wait ? finished : ids;
  }

  /**
   * Runs an Optuna study (see runStudy): each trial an ordinary run of this launcher, at most `study.parallel` at a
   * time, under one cancellable progress notification (Cancel stops the running trials; the study keeps what was
   * told and continues when started again). On a `target`, each trial is a remote run there. With `wait`, resolves
   * with the result, else once the study has opened.
   */
  async startStudy(spec: LaunchSpec, study: StudySpec, wait = false, target?: Target): Promise<StudyResult | string> {
    const cwd = spec.cwd ?? spec.workspace;
    const interpreter = await this.interpreter(cwd, spec.interpreter);
    const prefix = study.parallel > 1;
    const prefixers = new Map<string, LinePrefixer>();
    const base = {
      store: this.tree.store(spec.workspace),
      script: spec.script,
      command: spec.command,
      args: spec.args,
      interpreter,
      cwd,
      params: spec.params,
      helperDir: this.helperDir,
      scalars: this.scalarOptions(cwd),
      snapshotMaxBytes: this.snapshotMaxBytes(cwd),
      systemMetricsInterval: this.systemMetricsInterval(cwd),
      mirror: await this.mirror(),
    };
    const abort = new AbortController();
    let opened!: (v: void) => void;
    let failedToOpen!: (e: Error) => void;
    const openedP = new Promise<void>((resolve, reject) => ((opened = resolve), (failedToOpen = reject)));
    let total = 0;
    const progress = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Study ${study.study} (${study.method})`, cancellable: true },
      async (p, token) => {
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await runStudy({
            ...study,
            workspace: spec.workspace,
            interpreter,
            experiment: spec.experiment,
            helperDir: this.helperDir,
            logger: this.logger,
            signal: abort.signal,
            launchTrial: async (request, signal) => {
              // Trials going in parallel share the channel: each of their lines gets `[trial-name] ` in front.
              const prefixer = prefix ? new LinePrefixer(`[${request.name}] `) : undefined;
              const append = (text: string) => text && this.output.append(text);
              const onOutput = prefixer ? (text: string) => append(prefixer.push(text)) : append;
              const handle = target // a remote run on the target, its metrics tailed into its local run folder
                ? await remoteTrialLauncher({ ...base, script: spec.script ?? '', target, onOutput, logger: this.logger })(request, signal)
                : await localTrialLauncher({ ...base, onOutput }, this.logger)(request, signal);
              if (prefixer) prefixers.set(handle.id, prefixer);
              return handle;
            },
            onEvent: (e) => {
              if (e.type === 'opened') {
                total = Math.max(0, study.trials - e.trials);
                p.report({ message: `${e.resumed ? `resumed at ${e.trials} trials · ` : ''}${total} to run · Cancel stops the study` });
                opened();
              } else if (e.type === 'started') {
                this.output.appendLine(
                  `\n▶ trial ${e.trial} (${e.runId}): ${Object.entries(e.params)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(' ')}`,
                );
                this.tree.refresh();
              } else if (e.type === 'pruning') this.output.appendLine(`✂ trial ${e.trial} pruned at step ${e.step}`);
              else {
                const tail = prefixers.get(e.run.id)?.flush();
                if (tail) this.output.append(tail);
                prefixers.delete(e.run.id);
                this.output.appendLine(
                  `■ trial ${e.trial} ${e.outcome}${e.value !== undefined ? ` ${study.objective.metric}=${e.value}` : ''}${e.best ? ` · best ${e.best.value} (trial ${e.best.trial})` : ''}`,
                );
                p.report({
                  message: `trial ${e.trial} ${e.outcome}${e.best ? ` · best ${e.best.value}` : ''}`,
                  increment: total ? 100 / total : 0,
                });
                this.tree.refresh();
              }
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    const finished = Promise.resolve(progress).then(
      (result) => {
        this.tree.refresh();
        const best = result.best ? ` · best ${study.objective.metric} ${result.best.value} (trial ${result.best.trial})` : '';
        const text = result.trials.length
          ? `Study ${study.study}: ${result.trials.length} trials ended${best}`
          : `Study ${study.study} already has ${result.previous} trials: ask for more to run more${best}`;
        void Promise.resolve(vscode.window.showInformationMessage(text, 'Compare Trials', 'Show Output')).then((choice) => {
          const nodes = result.trials.map((t) => ({ type: 'run', entry: { run: t.run, workspace: spec.workspace } }));
          if (choice === 'Compare Trials' && nodes.length) void runCommand(Command.compareRuns, nodes[0], nodes);
          else if (choice === 'Show Output') this.output.show();
        });
        return result;
      },
      (e: Error) => {
        failedToOpen(e);
        if (e instanceof StudyError && e.code === 'missing-optuna')
          throw new UserError(missingOptunaMessage(interpreter, 'mlWorkbench.pythonPath'), [
            { title: 'Open Settings', run: () => openSettings('mlWorkbench.pythonPath') },
          ]);
        if (e instanceof StudyError) throw new UserError(e.message);
        throw e;
      },
    );
    this.output.show(true);
    if (wait) return finished;
    finished.catch((e: Error) => this.logger.error(`Study ${study.study}: ${e.message}`));
    try {
      await openedP;
    } catch (e) {
      await finished; // throws the UserError
      throw e;
    }
    return study.study;
  }

  /** Only when the server's copy of a run logged there is incomplete: the run itself is complete here. */
  private announceMirror(run: Run, result: MirrorResult): void {
    if (!result.error) return;
    const text = `Run ${run.name} is complete here, but logging it to the MLflow server did not finish: ${result.error.split('. The run is complete here')[0]}`;
    void Promise.resolve(vscode.window.showWarningMessage(text, 'Push Again', 'Show Log')).then((choice) => {
      if (choice === 'Push Again') void runCommand(Command.pushRunToMlflow, run.id);
      else if (choice === 'Show Log') void runCommand(Command.showLog);
    });
  }

  private announce(run: Run): void {
    const metrics = keyMetrics(run);
    const text = `Run ${run.name} ${run.status} after ${formatDuration(run.durationMs)}${metrics ? ` · ${metrics}` : ''}`;
    const show =
      run.status === 'failed'
        ? vscode.window.showErrorMessage
        : run.status === 'finished'
          ? vscode.window.showInformationMessage
          : vscode.window.showWarningMessage;
    void Promise.resolve(show(run.error && run.status === 'failed' ? `${text}: ${run.error}` : text, 'Open Dashboard', 'Show Output')).then(
      (choice) => {
        if (choice === 'Open Dashboard') void runCommand(Command.openRunDashboard, run.id);
        else if (choice === 'Show Output') this.output.show();
      },
    );
  }
}
