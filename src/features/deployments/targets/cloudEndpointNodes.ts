import * as vscode from 'vscode';
import type { CloudPlatform } from '../../../core/deploy/cloud/cloudTypes';
import { CLOUD_TITLE } from '../../../core/deploy/cloud/cloudTypes';
import type { LineageRecord } from '../../../core/deploy/lineage';

/** A cloud endpoint as the Deployments view shows it: the latest lineage record of one platform's endpoint. */
export interface CloudEndpointInfo {
  platform: CloudPlatform;
  name: string;
  region: string;
  instanceType?: string;
  /** The platform's own status (InService, Creating, Failed…), or "saved" when the files were only saved. */
  status: string;
  image?: string;
  url?: string;
  folder?: string;
  modelPath: string;
  at: string;
}

const isPlatform = (v: unknown): v is CloudPlatform => typeof v === 'string' && v in CLOUD_TITLE;

/** The endpoints of the lineage records, newest record per platform and name, most recent first. */
export function cloudEndpoints(records: readonly LineageRecord[]): CloudEndpointInfo[] {
  const latest = new Map<string, CloudEndpointInfo>();
  for (const r of records) {
    if (r.kind !== 'cloud' || !isPlatform(r.platform) || !r.endpoint) continue;
    latest.set(`${r.platform}:${r.region ?? ''}:${r.endpoint}`, {
      platform: r.platform,
      name: r.endpoint,
      region: r.region ?? '',
      instanceType: r.instanceType,
      status: r.status ?? 'unknown',
      image: r.reference ?? r.image,
      url: r.url,
      folder: r.manifest,
      modelPath: r.modelPath,
      at: r.at,
    });
  }
  return [...latest.values()].sort((a, b) => b.at.localeCompare(a.at));
}

function statusIcon(status: string): vscode.ThemeIcon {
  const s = status.toLowerCase();
  if (s === 'saved') return new vscode.ThemeIcon('file-code');
  if (/^(inservice|succeeded|deployed|ready)$/.test(s)) return new vscode.ThemeIcon('cloud', new vscode.ThemeColor('testing.iconPassed'));
  if (/fail|error|outofservice/.test(s)) return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
  return new vscode.ThemeIcon('loading~spin');
}

export function cloudGroupItem(count: number): vscode.TreeItem {
  const item = new vscode.TreeItem('Cloud Endpoints', vscode.TreeItemCollapsibleState.Expanded);
  item.id = 'cloudEndpoints';
  item.iconPath = new vscode.ThemeIcon('cloud');
  item.description = `${count}`;
  item.tooltip = 'Endpoints deployed (or saved for deployment) to SageMaker, Vertex AI and Azure ML, from .mlw/lineage.jsonl';
  item.contextValue = 'cloudEndpoints';
  return item;
}

export function cloudEndpointItem(e: CloudEndpointInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.None);
  item.id = `cloudEndpoint:${e.platform}:${e.region}:${e.name}`;
  item.iconPath = statusIcon(e.status);
  const status = e.status === 'saved' ? 'files saved, not deployed' : e.status;
  item.description = [CLOUD_TITLE[e.platform], e.region, status].filter(Boolean).join(' · ');
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${e.name}** — ${CLOUD_TITLE[e.platform]}  \n`);
  md.appendMarkdown(`Status: ${status}  \nRegion: ${e.region}  \n`);
  if (e.instanceType) md.appendMarkdown(`Instance type: ${e.instanceType}  \n`);
  if (e.image) md.appendMarkdown(`Image: \`${e.image}\`  \n`);
  if (e.url) md.appendMarkdown(`URL: \`${e.url}\`  \n`);
  md.appendMarkdown(`Model: \`${vscode.workspace.asRelativePath(e.modelPath, false)}\`  \n`);
  if (e.folder) md.appendMarkdown(`Files: \`${vscode.workspace.asRelativePath(e.folder, false)}/\`  \n`);
  md.appendMarkdown(`Recorded: ${new Date(e.at).toLocaleString()}`);
  item.tooltip = md;
  item.contextValue = `cloudEndpoint.${e.platform}`;
  item.accessibilityInformation = { label: `${e.name}, ${item.description}` };
  if (e.folder) item.command = { command: 'revealInExplorer', title: 'Reveal Files', arguments: [vscode.Uri.file(e.folder)] };
  return item;
}
