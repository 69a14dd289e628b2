import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Logger } from '../../core/logger';
import { affectsStatus } from '../../core/pipelines/affectsStatus';
import { readPipeline } from '../../core/pipelines/readPipeline';
import { pipelineStatus } from '../../core/pipelines/pipelineStatus';
import { runPipeline } from '../../core/pipelines/runPipeline';
import { toPipelineView, type RunActivity } from '../../core/pipelines/pipelineView';
import { upstreamOf, withUpstream, stageOrder } from '../../core/pipelines/stageGraph';
import { findExecutable } from '../../core/runs/resolveInterpreter';
import { RunStore } from '../../core/runs/RunStore';
import { Command } from '../../commandIds';
import { runCommand } from '../../commands';
import { parsePipelineMessage, type PipelineFromWebview, type PipelineToWebview, type PipelineView } from '../../shared/pipelineProtocol';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../vscode/webviewPanelHost';
import { resolveRunInterpreter } from '../../vscode/resolveRunInterpreter';

const REFRESH_MS = 200;

/**
 * The stage graph of one dvc.yaml: each stage fresh, stale (and why), never run or frozen; Run Pipeline and Run
 * Stage with the core runner (`dvc repro` when DVC is installed, else each stale stage as a tracked run), with
 * progress and cancel. The status is computed again when a file of the folder changes and as stages start and end.
 */
export class PipelinePanel extends WebviewPanelHost<PipelineToWebview, PipelineFromWebview> {
  private static readonly panels = new PanelRegistry<PipelinePanel>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private run: RunActivity | undefined;
  private controller: AbortController | undefined;
  private runner: 'dvc' | 'mlw' = 'mlw';
  private last: PipelineView | undefined;

  /** The panel of the pipeline in `root` (the folder of dvc.yaml), revealed or opened. */
  static show(root: string, extensionUri: vscode.Uri, logger: Logger, output: vscode.OutputChannel): PipelinePanel {
    return PipelinePanel.panels.show(root, () => {
      const panel = createPanel('mlWorkbench.pipeline', `Pipeline: ${path.basename(root)}`, extensionUri, {
        retainContextWhenHidden: true,
      });
      return new PipelinePanel(panel, root, extensionUri, logger, output);
    });
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly root: string,
    extensionUri: vscode.Uri,
    logger: Logger,
    private readonly output: vscode.OutputChannel,
  ) {
    super(panel, extensionUri, { app: 'pipeline', title: `Pipeline: ${path.basename(root)}`, parse: parsePipelineMessage }, logger);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '**/*'));
    const changed = (uri: vscode.Uri) => {
      if (affectsStatus(path.relative(root, uri.fsPath))) this.scheduleRefresh();
    };
    this.track(watcher);
    this.track(watcher.onDidChange(changed));
    this.track(watcher.onDidCreate(changed));
    this.track(watcher.onDidDelete(changed));
    this.track(vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRefresh()));
    this.track({
      dispose: () => {
        if (this.timer) clearTimeout(this.timer);
        this.controller?.abort();
      },
    });
  }

  protected async onReady(): Promise<void> {
    const dvc = await findExecutable('dvc', process.env, this.root);
    this.runner = dvc ? 'dvc' : 'mlw';
    if (this.last) await this.post({ type: 'state', view: this.last });
    await this.refresh();
  }

  protected async onMessage(message: Exclude<PipelineFromWebview, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
      case 'run':
        await this.runStages(message.stage);
        break;
      case 'cancel':
        this.controller?.abort();
        break;
      case 'openFile': {
        const abs = path.resolve(this.root, message.path);
        if (!abs.startsWith(this.root + path.sep)) return;
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(abs));
        break;
      }
      case 'openRun':
        await runCommand(Command.openRunDashboard, message.runId);
        break;
    }
  }

  private scheduleRefresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, REFRESH_MS);
  }

  /** Computes the status and sends it; one at a time, and once more if a change came in meanwhile. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          await this.sendStatus();
        } while (this.again && !this.isDisposed);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async sendStatus(): Promise<void> {
    const base = { folder: path.basename(this.root), runner: this.runner, trusted: vscode.workspace.isTrusted };
    let view: PipelineView;
    try {
      const p = await readPipeline(this.root);
      view = toPipelineView(p, await pipelineStatus(p), { ...base, run: this.run });
    } catch (e) {
      view = { ...base, stages: [], edges: [], running: null, statusMs: 0, error: (e as Error).message };
    }
    this.last = view;
    if (!this.isDisposed) await this.post({ type: 'state', view });
  }

  /** Runs the pipeline (or `stage` with what it depends on), with progress and cancel. */
  private async runStages(stage: string | undefined): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showErrorMessage(
        'Running the pipeline is disabled in Restricted Mode: this workspace is not trusted.',
        'Manage Workspace Trust',
      );
      if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      return;
    }
    if (this.controller) {
      void vscode.window.showInformationMessage('The pipeline is already running: wait for it, or cancel it.');
      return;
    }
    const p = await readPipeline(this.root);
    if (stage !== undefined && !p.stages.some((s) => s.name === stage || s.group === stage)) {
      void vscode.window.showErrorMessage(`No stage ${stage} in dvc.yaml.`);
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    const up = upstreamOf(p);
    const order = stageOrder(p, up);
    const selected = stage
      ? order.filter((n) => p.stages.some((s) => (s.name === stage || s.group === stage) && withUpstream(order, up, s.name).includes(n)))
      : order;
    const stale = new Set((this.last?.stages ?? []).filter((s) => s.state === 'stale' || s.state === 'never').map((s) => s.name));
    const run: RunActivity = { target: stage ?? null, activity: new Map(), runIds: new Map(), running: true };
    for (const n of selected) if (stale.has(n)) run.activity.set(n, 'queued');
    this.run = run;
    await this.refresh();
    // `python` in stage commands: the interpreter runs use (mlWorkbench.pythonPath, the Python extension's choice, ...).
    const python = await resolveRunInterpreter(this.root, this.logger).catch((e: Error) => {
      this.logger.warn(`Pipeline stages run with PATH as it is: ${e.message}`);
      return undefined;
    });
    const title = stage ? `Pipeline: running stage ${stage}` : 'Pipeline: running';
    this.output.appendLine(`--- ${title} (${this.runner === 'dvc' ? 'dvc repro' : 'ML Workbench, without DVC'}) in ${this.root}`);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          return runPipeline(p, {
            store: new RunStore(this.root, this.logger),
            target: stage,
            dvc: 'auto',
            python,
            signal: controller.signal,
            logger: this.logger,
            onOutput: (text) => this.output.append(text),
            onStage: (e) => {
              if (e.type === 'skip') run.activity.delete(e.stage);
              else if (e.type === 'start') {
                // `dvc repro` is one run for every stage it brings up to date.
                if (!p.stages.some((x) => x.name === e.stage)) for (const k of run.activity.keys()) run.activity.set(k, 'running');
                else run.activity.set(e.stage, 'running');
                run.runIds.set(e.stage, e.runId);
                run.current = e.stage;
                progress.report({ message: `stage ${e.stage}` });
              } else {
                if (e.error) run.activity.set(e.stage, 'failed');
                else run.activity.delete(e.stage);
                run.current = undefined;
              }
              this.scheduleRefresh();
            },
          });
        },
      );
      if (controller.signal.aborted) {
        const stopped = result.stages.find((x) => x.outcome === 'failed');
        for (const [k, v] of run.activity) if (v === 'failed') run.activity.delete(k);
        run.lastError = `Cancelled${stopped ? `: stage ${stopped.stage} was stopped` : ''}.`;
        this.output.appendLine('--- cancelled');
      } else if (!result.ok && result.error) {
        run.lastError = result.error;
        this.output.appendLine(`--- ${result.error}`);
        const failed = result.stages.find((s) => s.outcome === 'failed');
        const choice = await vscode.window.showErrorMessage(result.error, ...(failed?.runId ? ['Open Run'] : []), 'Show Output');
        if (choice === 'Open Run' && failed?.runId) await runCommand(Command.openRunDashboard, failed.runId);
        else if (choice === 'Show Output') this.output.show(true);
      } else this.output.appendLine('--- done');
    } catch (e) {
      if (controller.signal.aborted) {
        run.lastError = 'Cancelled.';
        this.output.appendLine('--- cancelled');
      } else throw e;
    } finally {
      for (const [k, v] of run.activity) if (v !== 'failed') run.activity.delete(k);
      run.running = false;
      run.current = undefined;
      this.controller = undefined;
      await this.refresh();
    }
  }
}
