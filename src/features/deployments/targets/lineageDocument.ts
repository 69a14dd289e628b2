import * as vscode from 'vscode';
import type { ContainerInfo } from '../../../core/docker/dockerEngine';
import { runForModelHash, variantChain, type LineageRecord } from '../../../core/deploy/lineage';
import { containerEndpoint, LABEL_MODEL, LABEL_MODEL_HASH, LABEL_RUN_ID, lineageOf } from '../containers/containerNodes';
import { readAllLineage, type DeployContext } from '../deployContext';
import { ReadonlyDocuments } from '../readonlyDocuments';

function runLine(recorded: string | undefined, loggedBy: { id: string; name?: string } | undefined): string {
  if (recorded) return `\`${recorded}\``;
  if (loggedBy) return `\`${loggedBy.id}\`${loggedBy.name ? ` (${loggedBy.name})` : ''} — logged a model with this sha256`;
  return 'none recorded (no run logged a model with this sha256)';
}

/** The run of each open workspace folder's run store that logged a model of this hash. */
async function runByHash(modelHash: string | undefined): Promise<{ id: string; name?: string } | undefined> {
  if (!modelHash) return undefined;
  const { RunStore } = await import('../../../core/runs/RunStore');
  for (const f of (vscode.workspace.workspaceFolders ?? []).filter((w) => w.uri.scheme === 'file')) {
    const runs = await new RunStore(f.uri.fsPath).listRuns().catch(() => []);
    const run = runForModelHash(runs, modelHash);
    if (run) return { id: run.id, name: run.name };
  }
  return undefined;
}

function cell(v: string | undefined): string {
  return (v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The lineage of a container as Markdown: model hash → run → image → containers, pushes, deployments.
 * `loggedBy`: the run that logged a model of this hash (runForModelHash), when no label or record names one.
 */
export function lineageMarkdown(c: ContainerInfo, records: readonly LineageRecord[], loggedBy?: { id: string; name?: string }): string {
  const mine = lineageOf(c, records).filter((r) => r.kind !== 'variant');
  const chain = variantChain(records, c.labels[LABEL_MODEL_HASH] ?? mine[0]?.modelHash);
  const lines = [
    `# Lineage of ${c.name}`,
    '',
    `- **Model**: \`${c.labels[LABEL_MODEL] ?? mine[0]?.modelPath ?? 'unknown'}\``,
    `- **Model hash**: \`${c.labels[LABEL_MODEL_HASH] ?? mine[0]?.modelHash ?? 'unknown'}\``,
    ...chain.map(
      (r) =>
        `- **Variant of**: \`${r.parentPath ?? 'unknown'}\` (sha256 \`${r.parentHash ?? 'unknown'}\`) by ${r.recipe ?? 'an unknown recipe'}${r.verdict ? ` — ${r.verdict}` : ''}`,
    ),
    `- **Run**: ${runLine(c.labels[LABEL_RUN_ID] ?? mine.find((r) => r.runId)?.runId, loggedBy)}`,
    `- **Image**: \`${c.image}\``,
    `- **Container**: \`${c.id.slice(0, 12)}\` — ${c.status}${containerEndpoint(c) ? ` — ${containerEndpoint(c)}` : ''}`,
    '',
    '## Records',
    '',
  ];
  if (mine.length === 0) {
    lines.push('No lineage records for this model hash in `.mlw/lineage.jsonl` of the open workspace folders.');
  } else {
    lines.push('| When | Step | Image | Digest / reference | Container / endpoint | Manifest |', '| --- | --- | --- | --- | --- | --- |');
    for (const r of mine) {
      lines.push(
        `| ${cell(r.at)} | ${r.kind} | ${cell(r.image)} | ${cell([r.digest ?? r.imageId, r.reference].filter(Boolean).join(' '))} | ${cell([r.containerId?.slice(0, 12), r.endpoint].filter(Boolean).join(' '))} | ${cell(r.manifest)} |`,
      );
    }
  }
  lines.push('', '```json', JSON.stringify([...chain].reverse().concat(mine), null, 2), '```', '');
  return lines.join('\n');
}

/** "ML: Show Lineage": the container's lineage as a read-only Markdown document, shown rendered (Markdown preview). */
export async function showLineage(ctx: DeployContext, c: ContainerInfo): Promise<string> {
  const records = await readAllLineage();
  const mine = lineageOf(c, records);
  const hash = c.labels[LABEL_MODEL_HASH] ?? mine[0]?.modelHash;
  const recorded = c.labels[LABEL_RUN_ID] ?? mine.find((r) => r.runId)?.runId;
  const text = lineageMarkdown(c, records, recorded ? undefined : await runByHash(hash));
  const uri = ReadonlyDocuments.uri(`Lineage ${c.name}.md`, `lineage:${c.id}`);
  ctx.docs.set(uri, text);
  try {
    // The built-in Markdown extension renders it (executing its command activates it).
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch (e) {
    ctx.log.debug(`Markdown preview unavailable (${(e as Error).message}): showing the lineage source`);
    await ctx.docs.show(uri, 'markdown', { preview: true });
  }
  return text;
}
