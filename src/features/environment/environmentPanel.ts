import * as vscode from 'vscode';
import { checkEnvironment } from '../../core/env/checkEnvironment';
import { explainInterpreter } from '../../core/env/explainInterpreter';
import { resolveInterpreter } from '../../core/runs/resolveInterpreter';
import type { Logger } from '../../core/logger';
import {
  parseEnvironmentMessage,
  type EnvironmentFromWebview,
  type EnvironmentReport,
  type EnvironmentToWebview,
} from '../../shared/protocol';
import { openSettings, SECTION, setting } from '../../vscode/config';
import { pythonExtensionInterpreter, pythonPathSetting } from '../../vscode/pythonInterpreter';
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
      case 'setWorkspacePythonPath':
        if (await this.setWorkspacePythonPath()) {
          await this.post({ type: 'busy' });
          await this.send(await this.probe());
        }
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
    // The interpreter runs would use, and why: the setting, else the Python extension's choice, else $MLW_PYTHON / python3.
    const explained = await this.explainInterpreter();
    const report = await checkEnvironment({
      python: explained.command,
      dockerHost: setting('docker.host'),
      executionProviders: setting('executionProviders'),
      logger: this.logger,
    });
    const at = report.checks.findIndex((c) => c.id === 'python');
    report.checks.splice(at < 0 ? report.checks.length : at, 0, explained.check);
    this.report = report;
    return report;
  }

  private async explainInterpreter(): Promise<ReturnType<typeof explainInterpreter>> {
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const settingValues = pythonPathSetting(resource);
    const facts = {
      setting: settingValues,
      pythonExtension: settingValues.effective?.trim() ? undefined : await pythonExtensionInterpreter(resource, this.logger),
      mlwPython: process.env.MLW_PYTHON,
      remoteName: vscode.env.remoteName,
    };
    const first = explainInterpreter(facts);
    const cwd = resource?.scheme === 'file' ? resource.fsPath : process.cwd();
    const resolved = await resolveInterpreter(first.command, process.env, cwd).catch(() => undefined);
    return explainInterpreter({ ...facts, resolved });
  }

  /** Check Environment's "Set for Workspace…": mlWorkbench.pythonPath in the workspace settings, where a remote window applies it. */
  private async setWorkspacePythonPath(): Promise<boolean> {
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!resource) {
      void vscode.window.showWarningMessage('Open a folder first: workspace settings belong to a folder.');
      return false;
    }
    const current = pythonPathSetting(resource);
    const value = await vscode.window.showInputBox({
      title: 'mlWorkbench.pythonPath for this workspace',
      prompt: 'The Python interpreter for runs in this workspace (a path on the machine the workspace is on, or a command on its PATH)',
      value: current.workspaceValue || current.globalValue || (await this.explainInterpreter()).command,
      ignoreFocusOut: true,
      validateInput: (t) => (t.trim() ? undefined : 'Enter a path or a command, e.g. /usr/bin/python3'),
    });
    if (value === undefined) return false;
    await vscode.workspace.getConfiguration(SECTION, resource).update('pythonPath', value.trim(), vscode.ConfigurationTarget.Workspace);
    return true;
  }

  private send(report: EnvironmentReport): Thenable<boolean> {
    return this.post({ type: 'state', report, trusted: vscode.workspace.isTrusted });
  }
}
