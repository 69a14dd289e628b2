import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import type { MlflowAuth } from '../../../core/mlflow/client/mlflowAuth';
import { normalizeServerUrl } from '../../../core/mlflow/client/mlflowAuth';
import { MlflowClient } from '../../../core/mlflow/client/MlflowClient';
import { dropMlflowConnection, setMlflowConnection } from '../../../core/mlflow/client/mlflowConnections';
import { SECTION, setting } from '../../../vscode/config';
import { Disposable } from '../../../vscode/disposable';
import { MlflowCredentials } from '../../../vscode/mlflowCredentials';

const URI_KEY = 'mlflow.trackingUri';

/**
 * The MLflow tracking server the window is connected to: its URL in the setting
 * mlWorkbench.mlflow.trackingUri, its token or password in SecretStorage. Registers the client with
 * core (so a server run's dashboard reads its history) and tells listeners when it changes.
 */
export class MlflowConnection extends Disposable {
  private readonly changed = this.track(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private readonly credentials: MlflowCredentials;
  private cached: { url: string; client: MlflowClient } | undefined;

  constructor(
    secrets: vscode.SecretStorage,
    private readonly logger: Logger,
  ) {
    super();
    this.credentials = new MlflowCredentials(secrets, (m) => logger.warn(m));
    this.track(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${URI_KEY}`)) {
          this.forget();
          this.changed.fire();
        }
      }),
    );
  }

  /** The configured server URL, or undefined when not connected. */
  get url(): string | undefined {
    const raw = setting(URI_KEY).trim();
    if (!raw) return undefined;
    try {
      return normalizeServerUrl(raw);
    } catch (e) {
      this.logger.warn(`${SECTION}.${URI_KEY}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The client of the configured server (auth from SecretStorage), or undefined when none is set. */
  async client(): Promise<MlflowClient | undefined> {
    const url = this.url;
    if (!url) return undefined;
    if (this.cached?.url === url) return this.cached.client;
    const auth = (await this.credentials.get(url)) ?? { kind: 'none' };
    const client = new MlflowClient({ url, auth });
    this.cached = { url, client };
    setMlflowConnection(client);
    return client;
  }

  /** Keeps `auth` in SecretStorage and `url` in the user's settings. */
  async connect(url: string, auth: MlflowAuth): Promise<MlflowClient> {
    const normalized = normalizeServerUrl(url);
    await this.credentials.store(normalized, auth);
    this.forget();
    await vscode.workspace.getConfiguration(SECTION).update(URI_KEY, normalized, vscode.ConfigurationTarget.Global);
    const client = (await this.client()) ?? new MlflowClient({ url: normalized, auth });
    this.changed.fire();
    return client;
  }

  async disconnect(): Promise<string | undefined> {
    const url = this.url;
    if (url) await this.credentials.delete(url);
    this.forget();
    const config = vscode.workspace.getConfiguration(SECTION);
    const inspect = config.inspect<string>(URI_KEY);
    if (inspect?.globalValue !== undefined) await config.update(URI_KEY, undefined, vscode.ConfigurationTarget.Global);
    if (inspect?.workspaceValue !== undefined) await config.update(URI_KEY, undefined, vscode.ConfigurationTarget.Workspace);
    this.changed.fire();
    return url;
  }

  private forget(): void {
    if (this.cached) dropMlflowConnection(this.cached.url);
    this.cached = undefined;
  }
}
