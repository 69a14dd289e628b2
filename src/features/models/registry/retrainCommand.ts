import * as path from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import { RegistryError, RegistryStore } from '../../../core/registry/RegistryStore';
import { CHAMPION, type RegisteredModel } from '../../../core/registry/registryTypes';
import { retrainMessage } from '../../../core/registry/retrain/retrainMessage';
import { retrainOnCaptures, type RetrainOutcome } from '../../../core/registry/retrain/retrainOnCaptures';
import { whoAmI } from '../../../core/registry/whoAmI';
import { CAPTURE_DIR } from '../../../core/serve/capture/captureArgs';
import { safeName } from '../../../core/serve/capture/modelCapture';
import { sha256File } from '../../../core/sha256File';
import { resolveRunInterpreter } from '../../../vscode/resolveRunInterpreter';
import { UserError } from '../../../vscode/userError';
import type { RegistryNode } from './registryNodes';

/** What the drift warning passes: the served model's name, and its file when known. */
export interface DriftedModelArg {
  served: string;
  file?: string;
}

interface Target {
  folder: string;
  model: RegisteredModel;
  /** The served name whose captures are read. */
  served: string;
}

const folders = () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);

async function registered(): Promise<Array<{ folder: string; model: RegisteredModel }>> {
  const all = await Promise.all(
    folders().map(async (folder) => (await new RegistryStore(folder).list()).map((model) => ({ folder, model }))),
  );
  return all.flat();
}

async function pick(title: string, served?: string): Promise<Target> {
  const models = await registered();
  if (!models.length)
    throw new UserError(
      'No registered models to retrain: register a version from a run (mlw registry register --run ID --name NAME) and promote it.',
    );
  const items = models.map((m) => ({
    label: m.model.name,
    description: m.model.aliases[CHAMPION] !== undefined ? `champion v${m.model.aliases[CHAMPION]}` : 'no champion',
    detail: m.folder,
    m,
  }));
  const chosen =
    items.length === 1 && !served ? items[0] : await vscode.window.showQuickPick(items, { title, placeHolder: 'Registered model' });
  if (!chosen) throw new vscode.CancellationError();
  return { ...chosen.m, served: served ?? chosen.m.model.name };
}

/** The registered model a drifted served model is: served as NAME@ALIAS (same name), or a file of a registered version. */
async function fromDrift(arg: DriftedModelArg): Promise<Target> {
  const models = await registered();
  const byName = models.find((m) => m.model.name === arg.served);
  if (byName) return { ...byName, served: arg.served };
  if (arg.file) {
    const sha = await sha256File(arg.file).then(
      (h) => h.sha256,
      () => undefined,
    );
    const bySha = sha && models.find((m) => m.model.versions.some((v) => v.sha256 === sha));
    if (bySha) return { ...bySha, served: arg.served };
  }
  return pick(`${arg.served} is not a registered version: retrain which registered model on its captures?`, arg.served);
}

async function target(arg: unknown): Promise<Target> {
  const n = arg as RegistryNode | DriftedModelArg | undefined;
  if (n && 'type' in n && (n.type === 'registeredModel' || n.type === 'registeredVersion'))
    return { folder: n.folder, model: n.model, served: n.model.name };
  if (n && 'served' in n && typeof n.served === 'string') return fromDrift(n);
  return pick('Retrain which registered model on its captured requests?');
}

/** The ways out of a failed retrain: the run when there is one, else the captures folder. */
function waysOut(e: Error, t: Target): UserError {
  const run = /retraining run (\S+) /.exec(e.message)?.[1];
  if (run) return new UserError(e.message, [{ title: 'Show Run', run: () => runCommand(Command.openRunDashboard, run) }]);
  const captures = path.join(t.folder, CAPTURE_DIR, safeName(t.served));
  return new UserError(e.message, [
    {
      title: 'Open Captures Folder',
      run: () => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(existsSync(captures) ? captures : t.folder)),
    },
  ]);
}

/**
 * Retrain on Recent Data: the champion's training run again on the captured requests with ground truth (see
 * retrainOnCaptures), with progress and Cancel, its output in the log; the candidate registered as challenger and
 * both evaluated on the same held-out captured rows, then offered for promotion through the gates.
 */
export async function retrainCommand(arg: unknown, log: vscode.LogOutputChannel, refresh: () => void): Promise<void> {
  const t = await target(arg);
  const name = t.model.name;
  const python = await resolveRunInterpreter(t.folder, log);
  const by = await whoAmI(t.folder);
  log.info(`Retrain ${name} on the captures of ${t.served} in ${t.folder} (${python})`);
  let outcome: RetrainOutcome;
  try {
    outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Retraining ${name} on recent data`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await retrainOnCaptures({
            workspace: t.folder,
            name,
            served: t.served,
            python,
            by,
            signal: abort.signal,
            logger: log,
            onLine: (line) => {
              log.info(`[retrain ${name}] ${line}`);
              if (/^(run |stage |evaluating|\S+: \d+ captured rows)/.test(line)) progress.report({ message: line.slice(0, 120) });
            },
          });
        } catch (e) {
          // A stopped run (its record kept) after Cancel is a cancellation, not an error.
          if (token.isCancellationRequested) throw new vscode.CancellationError();
          throw e;
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    if (e instanceof RegistryError) throw waysOut(e, t);
    throw e;
  } finally {
    refresh();
  }
  const o = outcome;
  log.info(
    `Retrain ${name}: v${o.candidate.version} (run ${o.runId}) ${JSON.stringify(o.candidate.metrics)} vs champion v${o.champion.version} ${JSON.stringify(o.champion.metrics)} on ${o.dataset.holdoutData.path}; gates: ${o.gates.map((g) => `${g.gate} ${g.passed ? 'pass' : 'FAIL'} (${g.detail})`).join('; ') || 'none declared'}`,
  );
  const choice = await vscode.window.showInformationMessage(retrainMessage(o), 'Promote…', 'Show Run');
  if (choice === 'Show Run') await runCommand(Command.openRunDashboard, o.runId);
  else if (choice === 'Promote…') {
    const model = await new RegistryStore(t.folder).get(name);
    const version = model.versions.find((v) => v.version === o.candidate.version)!;
    const node: RegistryNode = { type: 'registeredVersion', folder: t.folder, model, version };
    await runCommand(Command.promoteRegistryVersion, node);
  }
}
