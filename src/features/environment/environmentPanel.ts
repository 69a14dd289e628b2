import * as vscode from 'vscode';
import { checkEnvironment } from '../../core/env/checkEnvironment';
import type { Logger } from '../../core/logger';
import { parseEnvironmentMessage, type EnvironmentFromWebview, type EnvironmentReport, type EnvironmentToWebview } from '../../shared/protocol';
import { openSettings, setting } from '../../vscode/config';
import { pythonInterpreter } from '../../vscode/pythonInterpreter';
import { connectWebview } from '../../vscode/webviewHost';

/** "ML: Check Environment": one panel that probes Python, ONNX Runtime, Docker and git. */
export class EnvironmentPanel {
  private static current: EnvironmentPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private report: EnvironmentReport | undefined;
  private readonly post: (m: EnvironmentToWebview) => Thenable<boolean>;

  static show(extensionUri: vscode.Uri, logger: Logger): EnvironmentPanel {
    if (EnvironmentPanel.current) {
      EnvironmentPanel.current.panel.reveal();
      return EnvironmentPanel.current;
    }
    const panel = vscode.window.createWebviewPanel('mlWorkbench.environment', 'ML Environment', vscode.ViewColumn.Active, { retainContextWhenHidden: false });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activitybar.svg');
    EnvironmentPanel.current = new EnvironmentPanel(panel, extensionUri, logger);
    return EnvironmentPanel.current;
  }

  private constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly logger: Logger) {
    const conn = connectWebview<EnvironmentToWebview, EnvironmentFromWebview>(
      panel.webview, extensionUri, { app: 'environment', title: 'ML Environment', parse: parseEnvironmentMessage },
      (m) => this.onMessage(m), logger, this.disposables,
    );
    this.post = conn.post;
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
  }

  private async onMessage(message: EnvironmentFromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.send(this.report ?? (await this.probe()));
        break;
      case 'recheck':
        await this.post({ type: 'busy' });
        await this.send(await this.probe());
        break;
      case 'openSettings':
        await openSettings(message.query);
        break;
      case 'copyReport':
        if (this.report) {
          await vscode.env.clipboard.writeText(this.report.checks.map((c) => `${c.label}: ${c.status} - ${c.detail}`).join('\n'));
          void vscode.window.showInformationMessage('Environment report copied to the clipboard.');
        }
        break;
    }
  }

  private async probe(): Promise<EnvironmentReport> {
    // The interpreter runs would use: the setting, else the Python extension's choice, else $MLW_PYTHON / python3.
    const { command } = await pythonInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri, this.logger);
    this.report = await checkEnvironment({ python: command ?? process.env.MLW_PYTHON, dockerHost: setting('docker.host'), executionProviders: setting('executionProviders'), logger: this.logger });
    return this.report;
  }

  private send(report: EnvironmentReport): Thenable<boolean> {
    return this.post({ type: 'state', report, trusted: vscode.workspace.isTrusted });
  }

  private dispose(): void {
    EnvironmentPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
