import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import { PromotionRefused, promoteVersion } from '../../../core/registry/promoteVersion';
import { RegistryStore } from '../../../core/registry/RegistryStore';
import { whoAmI } from '../../../core/registry/whoAmI';
import { UserError } from '../../../vscode/userError';
import { mirrorRegistryChange } from './mirrorRegistryChange';
import type { RegistryNode } from './registryNodes';
import { rollServingDeployments } from './rollServingDeployments';

/**
 * Promote to Champion on a version of the Registry group: evaluates the gates of mlw.yaml and moves champion when
 * they pass. When one fails, says which with its numbers and offers to promote anyway (recorded as forced). Once
 * champion moved, what serves it in the folder rolls (rollServingDeployments.ts).
 */
export async function promoteCommand(node: unknown, log: Logger, refresh: () => void, extensionRoot: string): Promise<void> {
  const n = node as RegistryNode | undefined;
  if (n?.type !== 'registeredVersion') throw new UserError('Promote a version from the Registry group of the Models view.');
  const store = new RegistryStore(n.folder);
  const by = await whoAmI(n.folder);
  const name = n.model.name;
  const version = String(n.version.version);
  try {
    const o = await promoteVersion(store, name, version, { by });
    void mirrorRegistryChange(n.folder, name, log);
    log.info(
      `Registry: ${name}@champion -> v${o.version}; gates: ${o.gates.map((g) => `${g.gate}: ${g.detail}`).join('; ') || 'none declared'}`,
    );
    refresh();
    const rolled = (await rollServingDeployments(n.folder, name, o.alias, extensionRoot, log)).filter((r) => r.ok);
    void vscode.window.showInformationMessage(
      `${name} v${o.version} is now champion${o.previous !== null ? ` (was v${o.previous})` : ''}: ${o.gates.length ? `all ${o.gates.length} gates passed` : 'no gates declared in mlw.yaml'}.${rolled.length ? ` Rolled ${rolled.map((r) => r.endpoint).join(', ')} to v${o.version}.` : ''}`,
    );
  } catch (e) {
    if (!(e instanceof PromotionRefused)) throw e;
    const failed = e.outcome.gates.filter((g) => !g.passed);
    log.warn(`Registry: ${e.message}`);
    const force = 'Promote Anyway';
    const pick = await vscode.window.showWarningMessage(
      `${name} v${version} was not promoted: ${failed.length} of ${e.outcome.gates.length} gates failed.`,
      {
        modal: true,
        detail:
          failed.map((g) => `✗ ${g.gate}: ${g.detail}`).join('\n') + '\n\nPromoting anyway is recorded as forced in the alias history.',
      },
      force,
    );
    if (pick !== force) return;
    const o = await promoteVersion(store, name, version, { by, force: true });
    void mirrorRegistryChange(n.folder, name, log);
    refresh();
    await rollServingDeployments(n.folder, name, o.alias, extensionRoot, log);
    void vscode.window.showWarningMessage(
      `${name} v${o.version} is now champion, forced past ${failed.length} failing gate(s) (recorded).`,
    );
  } finally {
    refresh();
  }
}
