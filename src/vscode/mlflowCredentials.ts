import type * as vscode from 'vscode';
import type { MlflowAuth } from '../core/mlflow/client/mlflowAuth';
import { SECRET_TIMEOUT_MS, within } from './secrets';

const PREFIX = 'mlWorkbench.mlflow:';

/**
 * The token or user name and password of an MLflow tracking server, kept in VS Code's SecretStorage
 * (the OS keychain) keyed by the server URL; never in settings.
 */
export class MlflowCredentials {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  private timedOut(what: string): () => void {
    return () =>
      this.warn(
        `VS Code's secret storage did not answer (${what}) within ${SECRET_TIMEOUT_MS / 1000} s; the MLflow server's credentials are not kept in this session.`,
      );
  }

  async get(url: string): Promise<MlflowAuth | undefined> {
    const raw = await within(this.secrets.get(PREFIX + url), undefined, this.timedOut('read'));
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as Partial<{ kind: string; token: string; username: string; password: string }>;
      if (v.kind === 'token' && typeof v.token === 'string') return { kind: 'token', token: v.token };
      if (v.kind === 'basic' && typeof v.username === 'string' && typeof v.password === 'string')
        return { kind: 'basic', username: v.username, password: v.password };
      if (v.kind === 'none') return { kind: 'none' };
    } catch {
      // a damaged entry is as good as none
    }
    return undefined;
  }

  store(url: string, auth: MlflowAuth): Promise<void> {
    return within(this.secrets.store(PREFIX + url, JSON.stringify(auth)), undefined, this.timedOut('store'));
  }

  delete(url: string): Promise<void> {
    return within(this.secrets.delete(PREFIX + url), undefined, this.timedOut('delete'));
  }
}
