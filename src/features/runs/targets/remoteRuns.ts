import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import { formatDuration } from '../../../core/runs/formatRun';
import type { Run } from '../../../core/runs/runTypes';
import type { ScalarCaptureOptions } from '../../../core/runs/ScalarCapture';
import { attachRemoteRun, type RemoteRunHandle } from '../../../core/targets/attachRemoteRun';
import { describeTargetState } from '../../../core/targets/describeTargetState';
import { findTarget, loadTargets } from '../../../core/targets/loadTargets';
import { submitRemoteRun } from '../../../core/targets/submitRemoteRun';
import { submitRemoteSweep } from '../../../core/targets/submitRemoteSweep';
import { expandSweep, type SweepSpec } from '../../../core/runs/expandSweep';
import type { RunTargetState, Target } from '../../../core/targets/targetTypes';
import { setting } from '../../../vscode/config';
import { UserError } from '../../../vscode/userError';
import type { LaunchSpec } from '../runLauncher';
import type { RunsTree } from '../runsTree';

/** The targets of a workspace folder: `.mlw/targets.yaml` and the mlWorkbench.targets setting; mistakes are logged. */
/** mlWorkbench.runs.captureScalars / scalarPattern of the folder, for a remote run (recorded in it, so a re-attach reads alike). */
function remoteScalarOptions(cwd: string): ScalarCaptureOptions {
  const scope = vscode.Uri.file(cwd);
  const pattern = setting('runs.scalarPattern', scope).trim();
  return { capture: setting('runs.captureScalars', scope), ...(pattern ? { pattern } : {}) };
}

export async function workspaceTargets(workspace: string, logger: Logger): Promise<Target[]> {
  const parsed = await loadTargets(workspace, setting('targets', vscode.Uri.file(workspace)));
  for (const e of parsed.errors) logger.warn(e);
  return parsed.targets.filter((t) => t.kind === 'ssh' || t.kind === 'slurm' || t.kind === 'docker');
}

/** Where Run Experiment runs: this machine (undefined) or a target, picked when the folder declares any. */
export async function pickTarget(
  workspace: string,
  logger: Logger,
  name?: string,
  title = 'Run Experiment: where?',
): Promise<Target | undefined> {
  const targets = await workspaceTargets(workspace, logger);
  if (name !== undefined) {
    if (name === 'local') return undefined;
    try {
      return findTarget({ targets, errors: [] }, name);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }
  if (!targets.length) return undefined;
  const items = [
    { label: '$(vm) This machine', description: 'a local process', target: undefined as Target | undefined },
    ...targets.map((t) => ({
      label: `$(${t.kind === 'slurm' ? 'server-environment' : 'remote'}) ${t.name}`,
      description: `${t.kind} · ${t.kind === 'docker' ? String(t.options.engine ?? 'default engine') : ((t.kind === 'ssh' || t.kind === 'slurm' ? t.ssh?.host : undefined) ?? 'sbatch here')}`,
      detail: t.origin,
      target: t as Target | undefined,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true });
  if (!picked) throw new vscode.CancellationError();
  return picked.target;
}

/**
 * Runs on compute targets from the editor: submitted through core/targets, output into the Runs channel, the job's
 * state (pending reason, node, unreachable since) in a progress notification and in the Runs view, which shows the
 * run as it shows local ones. Running remote runs of the workspace that nobody follows are re-attached.
 */
export class RemoteRuns {
  private readonly following = new Map<string, RemoteRunHandle>();
  private readonly reporters = new Map<string, (state: string) => void>();

  /** The job's new state: into the Runs view and the run's progress notification. */
  private onState(id: string, state: RunTargetState): void {
    this.tree.refresh();
    this.reporters.get(id)?.(describeTargetState(state));
  }

  constructor(
    private readonly tree: RunsTree,
    private readonly output: vscode.OutputChannel,
    private readonly helperDir: string,
    private readonly logger: Logger,
  ) {}

  async start(spec: LaunchSpec, target: Target, wait: boolean): Promise<Run> {
    const store = this.tree.store(spec.workspace);
    let handle: RemoteRunHandle | undefined = undefined;
    handle = await submitRemoteRun({
      store,
      target,
      script: spec.script ?? '',
      args: spec.args,
      params: spec.params,
      cwd: spec.cwd ?? spec.workspace,
      experiment: spec.experiment,
      name: spec.name,
      helperDir: this.helperDir,
      onOutput: (text) => this.output.append(text),
      onState: (st) => this.onState(handle?.id ?? '', st),
      snapshotMaxBytes: setting('runs.snapshotMaxBytes', vscode.Uri.file(spec.workspace)),
      scalars: remoteScalarOptions(spec.cwd ?? spec.workspace),
      logger: this.logger,
    });
    this.output.appendLine(`\n▶ ${handle.run.name} (${handle.id}) on ${target.name}: ${handle.run.command.join(' ')}`);
    this.output.show(true);
    const finished = this.follow(handle, target);
    return wait ? finished : handle.run;
  }

  /**
   * A grid sweep on a target (submitRemoteSweep: one SLURM job array, or --parallel remote runs on an ssh host) under one
   * cancellable progress notification; Cancel cancels every trial, Stop on one trial in the Runs view only that one.
   */
  async startSweep(spec: LaunchSpec, sweep: SweepSpec, parallelism: number, target: Target, wait: boolean): Promise<Run[] | string[]> {
    const store = this.tree.store(spec.workspace);
    const sets = expandSweep(sweep);
    let ended = 0;
    let report: ((message: string) => void) | undefined;
    const handle = await submitRemoteSweep({
      store,
      target,
      script: spec.script ?? '',
      args: spec.args,
      params: spec.params,
      paramSets: sets,
      parallel: parallelism,
      cwd: spec.cwd ?? spec.workspace,
      experiment: spec.experiment,
      helperDir: this.helperDir,
      onOutput: (text) => this.output.append(text),
      onState: () => this.tree.refresh(),
      onTrial: (i, h) => {
        this.output.appendLine(
          `\n▶ trial ${i + 1}/${sets.length} ${h.run.name} (${h.id}) on ${target.name}: ${describeTargetState(h.run.target!)}`,
        );
        this.tree.refresh();
        void h.done.then((r) => {
          ended++;
          this.output.appendLine(`■ ${r.name} on ${target.name} ${r.status}${r.error ? `: ${r.error}` : ''}`);
          report?.(`${ended}/${sets.length} ended · Cancel stops the sweep`);
          this.tree.refresh();
        });
      },
      snapshotMaxBytes: setting('runs.snapshotMaxBytes', vscode.Uri.file(spec.workspace)),
      scalars: remoteScalarOptions(spec.cwd ?? spec.workspace),
      logger: this.logger,
    });
    const how = handle.arrayJobId ? `job array ${handle.arrayJobId}` : `${parallelism} at a time`;
    this.output.appendLine(`\n▶ sweep of ${sets.length} trials on ${target.name} (${how}), experiment ${handle.experiment}`);
    this.output.show(true);
    this.tree.refresh();
    const progress = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sweep on ${target.name} (${how})`, cancellable: true },
      async (p, token) => {
        const sub = token.onCancellationRequested(() => void handle.stopAll());
        report = (message) => p.report({ message, increment: 100 / sets.length });
        p.report({ message: `${sets.length} trials submitted · Cancel stops the sweep` });
        try {
          return await handle.done;
        } finally {
          sub.dispose();
        }
      },
    );
    const finished = Promise.resolve(progress).then((runs) => {
      this.tree.refresh();
      const failed = runs.filter((r) => r.status === 'failed').length;
      if (failed) void vscode.window.showErrorMessage(`Sweep on ${target.name}: ${failed} of ${runs.length} trials failed`);
      return runs;
    });
    if (wait) return finished;
    const ids = (await store.listRuns()).filter((r) => r.experiment === handle.experiment).map((r) => r.id);
    return ids;
  }

  private follow(handle: RemoteRunHandle, target: Target): Promise<Run> {
    this.following.set(handle.id, handle);
    this.tree.refresh();
    const progress = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Running ${handle.run.name} on ${target.name}`, cancellable: true },
      async (p, token) => {
        const sub = token.onCancellationRequested(() => void handle.stop());
        this.reporters.set(handle.id, (state) => p.report({ message: `${state} · Cancel stops the job` }));
        if (handle.run.target) p.report({ message: describeTargetState(handle.run.target) });
        try {
          return await handle.done;
        } finally {
          this.reporters.delete(handle.id);
          sub.dispose();
        }
      },
    );
    return Promise.resolve(progress).then((final) => {
      this.following.delete(handle.id);
      this.tree.refresh();
      this.output.appendLine(
        `■ ${final.name} on ${target.name} ${final.status}${final.error ? `: ${final.error}` : ''} after ${formatDuration(final.durationMs)}`,
      );
      if (final.status === 'failed')
        void vscode.window.showErrorMessage(`Run ${final.name} on ${target.name} failed: ${final.error ?? ''}`);
      return final;
    });
  }

  /** Follows again the running remote runs of `workspace` that no live process follows (after a restart). */
  async reattach(workspace: string): Promise<number> {
    const store = this.tree.store(workspace);
    const targets = await workspaceTargets(workspace, this.logger);
    let n = 0;
    for (const run of await store.listRuns()) {
      if (run.status !== 'running' || !run.target || this.following.has(run.id)) continue;
      const owner = run.owner?.launcher;
      if (owner && owner.pid !== process.pid && (await store.readRun(run.id))?.status === 'running') {
        const alive = await import('../../../core/runs/processLiveness').then((m) => m.processLiveness(owner) === 'alive');
        if (alive) continue; // another window follows it
      }
      const target = targets.find((t) => t.name === run.target?.name);
      if (!target) {
        this.logger.warn(`Run ${run.id} runs on target ${run.target.name}, which is no longer declared: not re-attached`);
        continue;
      }
      const handle = await attachRemoteRun({
        store,
        runId: run.id,
        target,
        onOutput: (t) => this.output.append(t),
        onState: (st) => this.onState(run.id, st),
        logger: this.logger,
      });
      this.logger.info(`Re-attached to run ${run.id} on ${target.name} (${describeTargetState(run.target)})`);
      void this.follow(handle, target);
      n++;
    }
    return n;
  }

  dispose(): void {
    // The jobs go on on their hosts; the next window re-attaches.
    for (const h of this.following.values()) void h.detach();
    this.following.clear();
  }
}
