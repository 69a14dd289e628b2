import * as vscode from 'vscode';
import { RegistryStore } from '../../../core/registry/RegistryStore';
import type { ModelVersion, RegisteredModel } from '../../../core/registry/registryTypes';
import { formatBytes } from '../../../core/format/formatBytes';
import { formatMetric } from '../../../core/runs/formatRun';

/** The Models view's Registry group: the registered models of each workspace folder, their versions and aliases. */
export type RegistryNode =
  | { type: 'registry'; models: Array<{ folder: string; model: RegisteredModel }> }
  | { type: 'registeredModel'; folder: string; model: RegisteredModel }
  | { type: 'registeredVersion'; folder: string; model: RegisteredModel; version: ModelVersion };

/** The group node, or undefined when no workspace folder has a registered model. */
export async function registryGroup(): Promise<RegistryNode | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const models = (
    await Promise.all(
      folders.map(async (f) => (await new RegistryStore(f.uri.fsPath).list()).map((model) => ({ folder: f.uri.fsPath, model }))),
    )
  ).flat();
  return models.length ? { type: 'registry', models } : undefined;
}

export function registryChildren(node: RegistryNode): RegistryNode[] {
  if (node.type === 'registry') return node.models.map((m) => ({ type: 'registeredModel', ...m }));
  if (node.type === 'registeredModel')
    return [...node.model.versions]
      .reverse()
      .map((version) => ({ type: 'registeredVersion', folder: node.folder, model: node.model, version }));
  return [];
}

const aliasesOf = (m: RegisteredModel, v: number) =>
  Object.entries(m.aliases)
    .filter(([, x]) => x === v)
    .map(([a]) => a);

export function registryTreeItem(node: RegistryNode): vscode.TreeItem {
  if (node.type === 'registry') {
    const item = new vscode.TreeItem('Registry', vscode.TreeItemCollapsibleState.Expanded);
    item.id = 'registry';
    item.iconPath = new vscode.ThemeIcon('library');
    item.description = `${node.models.length} model${node.models.length === 1 ? '' : 's'}`;
    item.tooltip = 'Registered models, kept in .mlw/registry/ of each workspace folder (mlw registry)';
    item.contextValue = 'registry';
    return item;
  }
  if (node.type === 'registeredModel') {
    const item = new vscode.TreeItem(node.model.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `registry:${node.folder}:${node.model.name}`;
    item.iconPath = new vscode.ThemeIcon('package');
    const aliases = Object.entries(node.model.aliases).map(([a, v]) => `${a}=v${v}`);
    item.description = `${node.model.versions.length} version${node.model.versions.length === 1 ? '' : 's'}${aliases.length ? ` · ${aliases.join(' ')}` : ''}`;
    item.contextValue = 'registry.model';
    return item;
  }
  const { model, version: v } = node;
  const aliases = aliasesOf(model, v.version);
  const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.None);
  item.id = `registry:${node.folder}:${model.name}:${v.version}`;
  item.iconPath = new vscode.ThemeIcon(aliases.includes('champion') ? 'star-full' : 'versions');
  const metrics = Object.entries(v.metrics)
    .slice(0, 3)
    .map(([k, x]) => `${k}=${formatMetric(x)}`);
  item.description = [aliases.join(', '), ...metrics].filter(Boolean).join(' · ');
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${model.name} v${v.version}**${aliases.length ? ` (${aliases.join(', ')})` : ''}  \n`);
  md.appendMarkdown(`${formatBytes(v.sizeBytes)} · sha256 \`${v.sha256.slice(0, 16)}…\`  \n`);
  md.appendMarkdown(`Run: ${v.source.runId ? `\`${v.source.runId}\`` : 'none recorded'}  \n`);
  if (v.recipe) md.appendMarkdown(`Variant: ${v.recipe.recipe}  \n`);
  md.appendMarkdown(`Registered ${v.registeredAt.slice(0, 19).replace('T', ' ')} by ${v.registeredBy}  \n\`${v.path}\``);
  item.tooltip = md;
  item.contextValue = 'registry.version';
  return item;
}
