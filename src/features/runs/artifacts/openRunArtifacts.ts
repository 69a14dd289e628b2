import * as vscode from 'vscode';
import * as path from 'node:path';
import { formatBytes } from '../../../core/format/formatBytes';
import type { RunStore } from '../../../core/runs/RunStore';
import type { FileRecord } from '../../../core/runs/runTypes';
import { locateArtifact, type ArtifactLocation } from '../../../core/runs/snapshot/locateArtifact';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import { UserError } from '../../../vscode/userError';
import type { WorkspaceRun } from '../runsTree';

interface ArtifactItem extends vscode.QuickPickItem {
  file?: string;
  entry?: WorkspaceRun;
}

const SERVE: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('play'), tooltip: 'Serve this snapshot' };
const CONTAINERIZE: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('package'), tooltip: 'Containerize this snapshot' };
const COMPARE: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('diff'), tooltip: 'Compare with another run’s model…' };

const isOnnx = (file: string) => file.toLowerCase().endsWith('.onnx');

/** The openable files of a run's artifacts, each saying whether it is the run's snapshot or only the current file. */
export async function artifactItems(entry: WorkspaceRun, store: RunStore | undefined): Promise<ArtifactItem[]> {
  const items: ArtifactItem[] = [];
  for (const a of entry.run.artifacts ?? []) {
    const loc = await locateArtifact(store, entry.run, a, entry.workspace).catch(() => undefined);
    if (!loc) continue;
    items.push(itemFor(entry, a, loc));
  }
  return items;
}

function itemFor(entry: WorkspaceRun, a: FileRecord, loc: ArtifactLocation): ArtifactItem {
  return {
    label: path.basename(a.path),
    description: `(${loc.note}) ${a.path}`,
    detail: `${formatBytes(a.size)}${a.sha256 ? ` · sha256 ${a.sha256.slice(0, 12)}` : ''}${loc.kind === 'snapshot' ? ' · read-only' : ''}`,
    file: loc.file,
    entry,
    buttons: isOnnx(loc.file) ? [SERVE, CONTAINERIZE, COMPARE] : undefined,
  };
}

/** Picks one item; resolves with it and the button pressed (undefined: the item itself). */
function pick(items: ArtifactItem[], title: string): Promise<{ item: ArtifactItem; button?: vscode.QuickInputButton } | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<ArtifactItem>();
    qp.title = title;
    qp.items = items;
    qp.matchOnDescription = true;
    let done = false;
    const finish = (v: { item: ArtifactItem; button?: vscode.QuickInputButton } | undefined) => {
      if (done) return;
      done = true;
      resolve(v);
      qp.hide();
    };
    qp.onDidAccept(() => finish(qp.selectedItems[0] ? { item: qp.selectedItems[0] } : undefined));
    qp.onDidTriggerItemButton((e) => finish({ item: e.item, button: e.button }));
    qp.onDidHide(() => {
      finish(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/**
 * "Open Run Artifacts": the run's artifacts as it produced them (its snapshots, never the file a later run
 * wrote at the same path), to open, serve, containerize or compare with another run's model.
 */
export async function openRunArtifacts(
  entry: WorkspaceRun,
  storeOf: (e: WorkspaceRun) => RunStore | undefined,
  allRuns: () => Promise<WorkspaceRun[]>,
): Promise<void> {
  const { run } = entry;
  const store = storeOf(entry);
  const runDir = store?.runDir(run.id);
  const files = await artifactItems(entry, store);
  if (files.length === 0) {
    if (!runDir) throw new UserError(`Run ${run.name} has no artifacts on disk.`);
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(runDir));
    return;
  }
  const reveal: ArtifactItem = {
    label: '$(folder-opened) Reveal Run Folder',
    description: runDir && vscode.workspace.asRelativePath(runDir),
    file: runDir,
  };
  const separator: ArtifactItem = { label: '', kind: vscode.QuickPickItemKind.Separator };
  const picked = await pick([...files, ...(runDir ? [separator, reveal] : [])], `Artifacts of ${run.name}`);
  if (!picked?.item.file) throw new vscode.CancellationError();
  const uri = vscode.Uri.file(picked.item.file);
  if (picked.item === reveal) await vscode.commands.executeCommand('revealFileInOS', uri);
  else if (picked.button === SERVE) await runCommand(Command.serveModel, uri);
  else if (picked.button === CONTAINERIZE) await runCommand(Command.containerizeModel, uri);
  else if (picked.button === COMPARE) await compareWithOther(entry, uri, storeOf, allRuns);
  else await vscode.commands.executeCommand('vscode.open', uri);
}

/** Compare Models between this snapshot and another run's ONNX artifact (or any file). */
async function compareWithOther(
  entry: WorkspaceRun,
  uri: vscode.Uri,
  storeOf: (e: WorkspaceRun) => RunStore | undefined,
  allRuns: () => Promise<WorkspaceRun[]>,
): Promise<void> {
  const others: ArtifactItem[] = [];
  for (const other of await allRuns()) {
    if (other.run.id === entry.run.id) continue;
    for (const item of await artifactItems(other, storeOf(other))) {
      if (item.file && isOnnx(item.file)) others.push({ ...item, label: `${other.run.name}: ${item.label}`, buttons: undefined });
    }
  }
  const otherFile: ArtifactItem = { label: '$(file) Other File…' };
  const picked = await vscode.window.showQuickPick([...others, otherFile], {
    title: `Compare ${path.basename(uri.fsPath)} of ${entry.run.name} with…`,
    matchOnDescription: true,
  });
  if (!picked) throw new vscode.CancellationError();
  await runCommand(Command.compareModels, uri, picked.file ? vscode.Uri.file(picked.file) : undefined);
}
