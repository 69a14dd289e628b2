import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import { DockerEngine } from '../../../core/docker/dockerEngine';
import { findEngine } from '../../../core/docker/findEngine';
import { locateServerAssets } from '../../../core/docker/serverAssets';
import { formatRolled, rollAlias, type RolledTarget } from '../../../core/deploy/rollAlias';
import { listDeployments } from '../../../core/registry/aliasDeployments';

/**
 * After Promote (or another alias move) from the workbench: rolls what serves NAME@ALIAS in the folder, as
 * `mlw registry promote` does: local servers swap the version themselves (we wait for their records), a container
 * of `mlw deploy local NAME@ALIAS` is replaced blue/green behind its stable port, a Kubernetes deployment of
 * `mlw deploy k8s NAME@ALIAS` gets the new image pushed, its manifest bumped, applied and its rollout followed (the
 * kubectl lines in the log and the notification), under a progress notification.
 * Returns the rolls (none when nothing serves the alias); a failed roll is shown as an error.
 */
export async function rollServingDeployments(
  folder: string,
  model: string,
  alias: string,
  extensionRoot: string,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<RolledTarget[]> {
  const serving = await listDeployments(folder, model, alias);
  if (!serving.length) return [];
  const rolled = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Rolling ${model}@${alias}` },
    async (progress) => {
      progress.report({
        message: `${serving.length} deployment${serving.length === 1 ? '' : 's'}: new version ready before the old one stops…`,
      });
      return rollAlias({
        workspace: folder,
        model,
        alias,
        containerEnv: async (d) => ({
          engine: await DockerEngine.connect(await findEngine({ dockerHost: d.dockerHost, env: process.env })),
          workspace: folder,
          assets: locateServerAssets(extensionRoot),
          baseImage: d.baseImage,
          mlwScript: path.join(extensionRoot, 'dist', 'mlw.js'),
          dockerHost: d.dockerHost,
          onLog: (line) => {
            log.info(`Roll ${model}@${alias}: ${line}`);
            // kubectl rollout status lines (a Kubernetes deployment's roll) say where the rollout is.
            if (line.startsWith('kubectl: ')) progress.report({ message: line.slice(9, 100) });
          },
        }),
      });
    },
  );
  for (const line of formatRolled(model, alias, rolled)) log.info(`Registry: ${line}`);
  const failed = rolled.filter((r) => !r.ok);
  if (failed.length)
    void vscode.window.showErrorMessage(
      `${model}@${alias} moved, but ${failed.length} of ${rolled.length} deployments did not roll: ${failed.map((f) => `${f.endpoint} (${f.detail})`).join('; ')}`,
    );
  return rolled;
}
