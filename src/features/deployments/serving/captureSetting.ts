import * as vscode from 'vscode';
import * as path from 'node:path';
import { CAPTURE_DIR, DRIFT_STATE_DIR } from '../../../core/serve/capture/captureArgs';
import { SECTION } from '../../../vscode/config';

export const CAPTURE_RATE_SETTING = 'serve.captureRate';

/** mlWorkbench.serve.captureRate for a model file (resource scope): 0 (off) when unset or out of [0, 1]. */
export function captureRate(modelPath: string): number {
  const v = vscode.workspace.getConfiguration(SECTION, vscode.Uri.file(modelPath)).get<number>(CAPTURE_RATE_SETTING, 0);
  return typeof v === 'number' && v > 0 && v <= 1 ? v : 0;
}

/** The workspace folder a model belongs to (else the first one), where .mlw/ lives. */
export function workspaceOf(modelPath: string): string | undefined {
  return (vscode.workspace.getWorkspaceFolder(vscode.Uri.file(modelPath)) ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath;
}

/**
 * The model server's capture and drift-state arguments for a local server: captures into the workspace's
 * .mlw/captures/ at the setting's rate, and drift state into .mlw/drift/ (the server's own folder is the model's).
 */
export function captureServeArgs(modelPath: string): { args: string[]; rate: number } {
  const ws = workspaceOf(modelPath);
  if (!ws) return { args: [], rate: 0 };
  const rate = captureRate(modelPath);
  const args = ['--drift-dir', path.join(ws, DRIFT_STATE_DIR)];
  if (rate > 0) args.push('--capture', String(rate), '--capture-dir', path.join(ws, CAPTURE_DIR));
  return { args, rate };
}

/** "capturing 10 %" for the Deployments view. */
export function captureLabel(rate: number): string {
  return `capturing ${Math.round(rate * 1000) / 10} %`;
}
