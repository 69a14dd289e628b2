import * as vscode from 'vscode';
import { checkEnvironment } from '../../core/env/checkEnvironment';
import type { Logger } from '../../core/logger';
import {
  parseEnvironmentMessage,
  type EnvironmentFromWebview,
  type EnvironmentReport,
  type EnvironmentToWebview,
} from '../../shared/protocol';
import { openSettings, setting } from '../../vscode/config';
import { pythonInterpreter } from '../../vscode/pythonInterpreter';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../vscode/webviewPanelHost';

const VIEW_TYPE = 'mlWorkbench.environment';
const TITLE = 'ML Environment';

/** "ML: Check Environment": one panel that probes Python, ONNX Runtime, Docker and git. */
export class EnvironmentPanel extends WebviewPanelHost<EnvironmentToWebview, EnvironmentFromWebview> {
  private static readonly panels = new PanelRegistry<EnvironmentPanel>();
  private report: EnvironmentReport | undefined;

  static show(extensionUri: vscode.Uri, logger: Logger): EnvironmentPanel {
    return EnvironmentPanel.panels.show(
      'environment',
      () => new EnvironmentPanel(createPanel(VIEW_TYPE, TITLE, extensionUri), extensionUri, logger),
    );
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, logger: Logger) {
    super(panel, extensionUri, { app: 'environment', title: TITLE, parse: parseEnvironmentMessage }, logger);
  }

  protected async onReady(): Promise<void> {
    await this.send(this.report ?? (await this.probe()));
  }

  protected async onMessage(message: Exclude<EnvironmentFromWebview, { type: 'ready' }>): Promise<void> {
    switch (message.type) {
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
    this.report = await checkEnvironment({
      python: command ?? process.env.MLW_PYTHON,
      dockerHost: setting('docker.host'),
      executionProviders: setting('executionProviders'),
      logger: this.logger,
    });
    return this.report;
  }

  private send(report: EnvironmentReport): Thenable<boolean> {
    return this.post({ type: 'state', report, trusted: vscode.workspace.isTrusted });
  }
}
