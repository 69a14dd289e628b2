import * as vscode from 'vscode';
import { setting } from './config';

/**
 * Workspace files matching `glob`, for pickers and the Models view: never under the folders the user
 * excludes (mlWorkbench.excludeGlob), and never inside ML Workbench's own `.mlw/` folder, whose run
 * store and artifact snapshots hold copies of the user's models.
 */
export async function findWorkspaceFiles(glob: string, maxResults: number): Promise<vscode.Uri[]> {
  const uris = await vscode.workspace.findFiles(glob, setting('excludeGlob'), maxResults);
  return uris.filter((u) => !u.path.split('/').includes('.mlw'));
}
