import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ContainerInfo } from '../../../core/docker/dockerEngine';
import { variantChain, type LineageRecord } from '../../../core/deploy/lineage';
import { CAPTURE_LABEL } from '../../../core/deploy/captureMount';
import { captureLabel } from '../serving/captureSetting';

/** Labels the core puts on every container and image it creates. */
export const LABEL_MODEL = 'dev.mlworkbench.model';
export const LABEL_MODEL_NAME = 'dev.mlworkbench.modelName';
export const LABEL_MODEL_HASH = 'dev.mlworkbench.modelHash';
export const LABEL_RUN_ID = 'dev.mlworkbench.runId';

/** The host URL a container's first published port answers on, if it publishes one. */
export function containerEndpoint(c: ContainerInfo): string | undefined {
  const p = c.ports.find((x) => x.hostPort > 0);
  if (!p) return undefined;
  const host = !p.hostIp || p.hostIp === '0.0.0.0' || p.hostIp === '::' ? '127.0.0.1' : p.hostIp;
  return `http://${host.includes(':') ? `[${host}]` : host}:${p.hostPort}`;
}

/** One word for the state a user cares about: healthy, unhealthy, starting, running, exited… */
export function containerCondition(c: ContainerInfo): string {
  if (c.state === 'running') return c.health ?? 'running';
  return c.state;
}

export function containerIcon(c: ContainerInfo): vscode.ThemeIcon {
  switch (containerCondition(c)) {
    case 'healthy':
      return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
    case 'unhealthy':
      return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('testing.iconFailed'));
    case 'starting':
    case 'created':
    case 'restarting':
    case 'removing':
      return new vscode.ThemeIcon('loading~spin');
    case 'running':
      return new vscode.ThemeIcon('vm-running');
    case 'paused':
      return new vscode.ThemeIcon('debug-pause');
    case 'dead':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    default:
      return new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('disabledForeground'));
  }
}

export function containerDescription(c: ContainerInfo): string {
  const port = c.ports.find((x) => x.hostPort > 0);
  const capture = Number(c.labels[CAPTURE_LABEL]);
  return [containerCondition(c), c.image, port ? `:${port.hostPort}` : undefined, capture > 0 ? captureLabel(capture) : undefined]
    .filter(Boolean)
    .join(' · ');
}

/** The lineage records that belong to a container: same model hash, and its image or later steps. */
export function lineageOf(c: ContainerInfo, records: readonly LineageRecord[]): LineageRecord[] {
  const hash = c.labels[LABEL_MODEL_HASH];
  return records.filter((r) => (hash && r.modelHash === hash) || r.containerId === c.id);
}

/** One line per lineage step, oldest first: model → run → image → container/push/kubernetes. */
export function lineageSteps(
  c: ContainerInfo,
  records: readonly LineageRecord[],
): { label: string; description: string; tooltip: string; icon: string }[] {
  const mine = lineageOf(c, records);
  const model = c.labels[LABEL_MODEL] ?? mine[0]?.modelPath;
  const hash = c.labels[LABEL_MODEL_HASH] ?? mine[0]?.modelHash;
  const runId = c.labels[LABEL_RUN_ID] ?? mine.find((r) => r.runId)?.runId;
  // An optimised variant: its original first, then each recipe applied on the way to the model.
  const chain = variantChain(records, hash).reverse();
  const steps = chain.flatMap((r, i) => [
    ...(i === 0
      ? [
          {
            label: 'Original',
            description: `${path.basename(r.parentPath ?? '?')} · ${short(r.parentHash)}`,
            tooltip: `${r.parentPath ?? ''}\nsha256 ${r.parentHash ?? 'unknown'}`,
            icon: 'symbol-structure',
          },
        ]
      : []),
    ...(i < chain.length - 1
      ? [
          {
            label: 'Variant',
            description: `${path.basename(r.modelPath)} · ${r.recipe ?? '?'}`,
            tooltip: `${r.modelPath}\nsha256 ${r.modelHash}\n${r.verdict ?? r.recipe ?? ''}`,
            icon: 'layers',
          },
        ]
      : []),
  ]);
  const last = chain[chain.length - 1];
  steps.push({
    label: 'Model',
    description: `${model ? path.basename(model) : '?'} · ${short(hash)}${last?.recipe ? ` · ${last.recipe}` : ''}`,
    tooltip: `${model ?? ''}\nsha256 ${hash ?? 'unknown'}${last ? `\n${last.verdict ?? `${last.recipe ?? ''} variant`}` : ''}`,
    icon: last ? 'layers' : 'symbol-structure',
  });
  if (runId) steps.push({ label: 'Run', description: runId, tooltip: `Experiment run ${runId}`, icon: 'beaker' });
  const image = [...mine].reverse().find((r) => r.kind === 'image' && (r.image === c.image || r.imageId === c.image));
  steps.push({
    label: 'Image',
    description: `${c.image}${image?.imageId ? ` · ${short(image.imageId)}` : ''}`,
    tooltip: `${c.image}\n${image?.imageId ?? ''}`,
    icon: 'package',
  });
  for (const r of mine) {
    if (r.kind === 'push' && r.reference)
      steps.push({
        label: 'Pushed',
        description: `${r.reference} · ${short(r.digest)}`,
        tooltip: `${r.reference}@${r.digest ?? ''}\n${r.at}`,
        icon: 'cloud-upload',
      });
    if (r.kind === 'kubernetes')
      steps.push({
        label: 'Kubernetes',
        description: r.manifest ? path.basename(r.manifest) : (r.reference ?? ''),
        tooltip: `${r.manifest ?? ''}\n${r.reference ?? ''}\n${r.at}`,
        icon: 'cloud',
      });
  }
  return steps;
}

export function short(hash: string | undefined): string {
  if (!hash) return 'unknown';
  const bare = hash.replace(/^sha256:/, '');
  return bare.slice(0, 12);
}

/** The tooltip of a container item: what a user asks before acting on it. */
export function containerTooltip(c: ContainerInfo, records: readonly LineageRecord[]): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${c.name}** — ${containerCondition(c)}  \n`);
  md.appendMarkdown(`Image: \`${c.image}\`  \n`);
  const endpoint = containerEndpoint(c);
  if (endpoint) md.appendMarkdown(`Endpoint: \`${endpoint}\`  \n`);
  if (c.labels[LABEL_MODEL]) md.appendMarkdown(`Model: \`${c.labels[LABEL_MODEL]}\`  \n`);
  if (c.labels[LABEL_MODEL_HASH]) md.appendMarkdown(`Model hash: \`${short(c.labels[LABEL_MODEL_HASH])}\`  \n`);
  md.appendMarkdown(`Run: ${c.labels[LABEL_RUN_ID] ? `\`${c.labels[LABEL_RUN_ID]}\`` : '—'}  \n`);
  md.appendMarkdown(`Status: ${c.status}  \n`);
  const capture = Number(c.labels[CAPTURE_LABEL]);
  if (capture > 0) md.appendMarkdown(`Capture: ${captureLabel(capture)} of requests into \`.mlw/captures/\` (bind-mounted)  \n`);
  const steps = lineageSteps(c, records);
  md.appendMarkdown(`\nLineage: ${steps.map((s) => `${s.label} ${s.description.split(' · ')[0]}`).join(' → ')}`);
  return md;
}
