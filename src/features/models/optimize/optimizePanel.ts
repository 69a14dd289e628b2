import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Logger } from '../../../core/logger';
import type { OptimizationReport } from '../../../core/optimize/optimizationReport';
import { parseOptimizeMessage, type OptimizeFromWebview, type OptimizeToWebview } from '../../../shared/optimizeProtocol';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../../vscode/webviewPanelHost';
import { View } from '../../../commandIds';

/** The optimisation report of a model, beside its inspector; reused when the model is optimised again. */
export class OptimizePanel extends WebviewPanelHost<OptimizeToWebview, OptimizeFromWebview> {
  private static readonly panels = new PanelRegistry<OptimizePanel>();

  static show(extensionUri: vscode.Uri, log: Logger, model: vscode.Uri, report: OptimizationReport): void {
    OptimizePanel.panels.show(
      model.toString(),
      () => {
        const panel = createPanel('mlWorkbench.optimizeReport', `Optimize: ${path.basename(model.fsPath)}`, extensionUri, {
          column: vscode.ViewColumn.Beside,
          preserveFocus: true,
          retainContextWhenHidden: true,
        });
        return new OptimizePanel(panel, extensionUri, log, model, report);
      },
      (existing) => {
        existing.report = report;
        void existing.post(existing.message());
      },
      true,
    );
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: Logger,
    private readonly model: vscode.Uri,
    private report: OptimizationReport,
  ) {
    super(panel, extensionUri, { app: 'optimize', title: 'Optimize Model', parse: parseOptimizeMessage }, log);
  }

  private message(): OptimizeToWebview {
    return { type: 'report', report: this.report, fileName: path.basename(this.model.fsPath) };
  }

  protected async onReady(): Promise<void> {
    await this.post(this.message());
  }

  protected async onMessage(message: Exclude<OptimizeFromWebview, { type: 'ready' }>): Promise<void> {
    const variant = this.report.variants[message.variant];
    if (!variant) return;
    const uri = vscode.Uri.file(variant.path);
    if (message.type === 'openVariant') await vscode.commands.executeCommand('vscode.openWith', uri, View.onnxInspector);
    else if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  }
}
