import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import { readRegistryPage } from '../../../core/registry/registryPage';
import { RegistryStore } from '../../../core/registry/RegistryStore';
import { parseRunsMessage, type RunsFromWebview, type RunsToWebview } from '../../../shared/runsProtocol';
import { createPanel, PanelRegistry, WebviewPanelHost } from '../../../vscode/webviewPanelHost';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';

/** Files whose change changes the page: the registry, the gates, the drift state the no_drift gate reads. */
const WATCHED = ['.mlw/registry/*.json', 'mlw.yaml', '.mlw/drift/*.json'];

/**
 * The registry page of the run dashboard (the runs app's `registry` view), one per workspace folder: registered
 * models, their versions, the gates' outcome now for the candidate, the alias history. Its buttons run the registry
 * commands (Promote, Roll Back, Set Alias, Serve, Deploy Locally); it redraws when the files above change.
 */
export class RegistryPanel extends WebviewPanelHost<RunsToWebview, RunsFromWebview> {
  private static readonly panels = new PanelRegistry<RegistryPanel>();
  private reloadTimer: NodeJS.Timeout | undefined;

  static show(folder: string, extensionUri: vscode.Uri, logger: Logger): RegistryPanel {
    return RegistryPanel.panels.show(folder, () => {
      const panel = createPanel('mlWorkbench.registry', 'Model Registry', extensionUri, { retainContextWhenHidden: true });
      return new RegistryPanel(panel, folder, extensionUri, logger);
    });
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly folder: string,
    extensionUri: vscode.Uri,
    logger: Logger,
  ) {
    super(panel, extensionUri, { app: 'runs', title: 'Model Registry', parse: parseRunsMessage }, logger);
    for (const glob of WATCHED) {
      const w = this.track(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), glob)));
      const soon = () => this.reloadSoon();
      this.track(w.onDidChange(soon));
      this.track(w.onDidCreate(soon));
      this.track(w.onDidDelete(soon));
    }
    this.track({ dispose: () => clearTimeout(this.reloadTimer) });
  }

  /** A registry write is several events (temporary file, rename, lock): one reload after they settle. */
  private reloadSoon(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.load(), 100);
  }

  protected onReady(): Promise<void> {
    return this.load();
  }

  private async load(): Promise<void> {
    if (this.isDisposed) return;
    try {
      await this.post({ type: 'registry', page: await readRegistryPage(this.folder) });
    } catch (e) {
      this.logger.warn(`Registry page: ${(e as Error).message}`);
      await this.post({ type: 'error', message: `Cannot read the registry: ${(e as Error).message}` });
    }
  }

  protected async onMessage(message: Exclude<RunsFromWebview, { type: 'ready' }>): Promise<void> {
    const target = { folder: this.folder };
    switch (message.type) {
      case 'openDashboard':
        await runCommand(Command.openRunDashboard, message.runId);
        break;
      case 'promote': {
        // The command takes a Registry node of the Models view: make the same one.
        const model = await new RegistryStore(this.folder).get(message.model);
        const version = model.versions.find((v) => v.version === message.version);
        if (version) await runCommand(Command.promoteRegistryVersion, { type: 'registeredVersion', folder: this.folder, model, version });
        break;
      }
      case 'setAlias':
        await runCommand(Command.setRegistryAlias, { ...target, model: message.model, version: message.version });
        break;
      case 'rollback':
        await runCommand(Command.rollbackRegistryAlias, { ...target, model: message.model, alias: message.alias });
        break;
      case 'serveAlias':
        await runCommand(Command.serveRegistryAlias, { ...target, model: message.model, alias: message.alias });
        break;
      case 'deployAlias':
        await runCommand(Command.deployRegistryAlias, { ...target, model: message.model, alias: message.alias });
        break;
      default:
        break;
    }
    // The files' watcher redraws after a change; a refused or cancelled action changes nothing but the page reloads anyway.
    this.reloadSoon();
  }
}
