import * as vscode from 'vscode';
import type { CommandTable } from '../../../commands';
import { Command } from '../../../commandIds';
import type { Logger } from '../../../core/logger';
import { aliasLineage } from '../../../core/registry/aliasMoves';
import { RegistryStore } from '../../../core/registry/RegistryStore';
import { registryTarget } from '../../../core/registry/registryTarget';
import { ALIAS_NAME, CHAMPION } from '../../../core/registry/registryTypes';
import { runMlwJson } from '../../../vscode/runMlw';
import { UserError } from '../../../vscode/userError';
import { mirrorRegistryChange } from './mirrorRegistryChange';
import { RegistryPanel } from './registryPanel';
import type { RegistryNode } from './registryNodes';

interface Rolled {
  endpoint: string;
  ok: boolean;
  detail: string;
}

const fileFolders = () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);

/** The workspace folder of the registry a command is about: the argument's, else the first with a registry, else the first. */
async function registryFolder(arg: unknown): Promise<string> {
  const node = arg as Partial<RegistryNode> | undefined;
  if (node?.type === 'registry' && node.models?.length) return node.models[0].folder;
  const given = (arg as { folder?: unknown } | undefined)?.folder;
  if (typeof given === 'string' && given) return given;
  const folders = fileFolders();
  if (!folders.length) throw new UserError('Open a folder first: the registry lives in its .mlw/registry/.');
  for (const f of folders) if ((await new RegistryStore(f).list()).length) return f;
  return folders[0];
}

/** Runs `mlw registry ...` in the folder (it moves the alias and rolls what serves it), under a progress notification. */
async function mlwRegistry<T>(extensionUri: vscode.Uri, folder: string, args: string[], title: string, log: Logger): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (_p, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const out = await runMlwJson<T>(extensionUri, ['--workspace', folder, 'registry', ...args], title, abort.signal);
      // The move is made: the connected MLflow server's Model Registry follows (in the background, never failing it).
      if (['promote', 'rollback', 'alias'].includes(args[0]) && args[1]) void mirrorRegistryChange(folder, args[1], log);
      return out;
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      const stderr = (e as { stderr?: string }).stderr;
      if (stderr) log.warn(`mlw registry ${args.join(' ')}:\n${stderr}`);
      throw new UserError((e as Error).message.replace(/^mlw registry: /, ''));
    } finally {
      sub.dispose();
    }
  });
}

const rolledText = (rolled: Rolled[] | undefined) =>
  rolled?.length ? ` Rolled: ${rolled.map((r) => `${r.endpoint} ${r.ok ? 'ok' : `FAILED (${r.detail})`}`).join(', ')}.` : '';

/** Open Registry Page, Roll Back Registry Alias, Set Registry Alias… (Promote is promoteCommand.ts). */
export function registryCommands(extensionUri: vscode.Uri, log: Logger, refresh: () => void): CommandTable {
  return {
    [Command.openRegistry]: { run: async (arg?: unknown) => void RegistryPanel.show(await registryFolder(arg), extensionUri, log) },
    [Command.rollbackRegistryAlias]: {
      trust: 'Rolling registry deployments',
      run: async (arg?: unknown) => {
        const t = registryTarget(arg);
        if (!t) throw new UserError('Roll back a registered model from the Registry group of the Models view or the registry page.');
        const model = await new RegistryStore(t.folder).get(t.model);
        const alias = t.alias ?? CHAMPION;
        if (alias !== CHAMPION)
          throw new UserError(`Only champion rolls back (mlw registry rollback ${t.model}); move ${alias} with Set Alias….`);
        const lineage = aliasLineage(model, alias);
        const current = model.aliases[alias];
        if (current === undefined) throw new UserError(`${model.name} has no champion: nothing to roll back.`);
        if (lineage.length < 2)
          throw new UserError(`${model.name}@champion (v${current}) has no previous champion in its history to roll back to.`);
        const to = lineage[lineage.length - 2];
        const ok = 'Roll Back';
        const pick = await vscode.window.showWarningMessage(
          `Roll back ${model.name}@champion from v${current} to v${to}?`,
          { modal: true, detail: 'What serves the alias rolls to the previous version; the move is recorded in the alias history.' },
          ok,
        );
        if (pick !== ok) return undefined;
        try {
          const r = await mlwRegistry<{ from: number; to: number; rolled?: Rolled[] }>(
            extensionUri,
            t.folder,
            ['rollback', model.name],
            `Rolling back ${model.name}@champion`,
            log,
          );
          log.info(`Registry: ${model.name}@champion rolled back v${r.from} -> v${r.to}${rolledText(r.rolled)}`);
          void vscode.window.showInformationMessage(`${model.name}@champion is v${r.to} again (was v${r.from}).${rolledText(r.rolled)}`);
          return r;
        } finally {
          refresh();
        }
      },
    },
    [Command.setRegistryAlias]: {
      trust: 'Rolling registry deployments',
      run: async (arg?: unknown, aliasArg?: unknown) => {
        const t = registryTarget(arg);
        if (!t || t.version === undefined)
          throw new UserError('Set an alias on a version from the Registry group of the Models view or the registry page.');
        const model = await new RegistryStore(t.folder).get(t.model);
        const validate = (v: string) =>
          !ALIAS_NAME.test(v)
            ? 'A word of letters, digits, _ and - that starts with a letter (e.g. challenger, staging)'
            : v === CHAMPION
              ? 'champion moves through the promotion gates: use Promote'
              : undefined;
        const alias =
          typeof aliasArg === 'string'
            ? aliasArg
            : await vscode.window.showInputBox({
                title: `Set an alias on ${model.name} v${t.version}`,
                prompt: `Existing: ${
                  Object.entries(model.aliases)
                    .map(([a, v]) => `${a} → v${v}`)
                    .join(', ') || 'none'
                }`,
                value: model.aliases.challenger === undefined ? 'challenger' : '',
                validateInput: validate,
              });
        if (alias === undefined) return undefined;
        const bad = validate(alias);
        if (bad) throw new UserError(`"${alias}": ${bad}.`);
        try {
          const r = await mlwRegistry<{ version: number; previous: number | null }>(
            extensionUri,
            t.folder,
            ['alias', model.name, String(t.version), alias],
            `Setting ${model.name}@${alias}`,
            log,
          );
          void vscode.window.showInformationMessage(
            `${model.name}@${alias} → v${r.version}${r.previous !== null ? ` (was v${r.previous})` : ''}.`,
          );
          return r;
        } finally {
          refresh();
        }
      },
    },
  };
}
