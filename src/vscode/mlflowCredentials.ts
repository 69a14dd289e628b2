import type * as vscode from 'vscode';
import type { MlflowAuth } from '../core/mlflow/client/mlflowAuth';
import { JsonSecrets } from './secrets';

function parseMlflowAuth(v: Record<string, unknown>): MlflowAuth | undefined {
  if (v.kind === 'token' && typeof v.token === 'string') return { kind: 'token', token: v.token };
  if (v.kind === 'basic' && typeof v.username === 'string' && typeof v.password === 'string') {
    return { kind: 'basic', username: v.username, password: v.password };
  }
  if (v.kind === 'none') return { kind: 'none' };
  return undefined;
}

/**
 * The token or user name and password of an MLflow tracking server, kept in VS Code's SecretStorage
 * (the OS keychain) keyed by the server URL; never in settings.
 */
export class MlflowCredentials extends JsonSecrets<MlflowAuth> {
  constructor(secrets: vscode.SecretStorage, warn?: (message: string) => void) {
    super(secrets, 'mlWorkbench.mlflow:', "the MLflow server's credentials are", parseMlflowAuth, warn);
  }
}
