import type { ContainerInfo } from '../../../core/docker/dockerEngine';
import { variantChain, type LineageRecord } from '../../../core/deploy/lineage';
import { containerEndpoint, LABEL_MODEL, LABEL_MODEL_HASH, LABEL_RUN_ID, lineageOf } from '../containers/containerNodes';
import { readAllLineage, type DeployContext } from '../deployContext';
import { ReadonlyDocuments } from '../readonlyDocuments';

function cell(v: string | undefined): string {
  return (v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The lineage of a container as Markdown: model hash → run → image → containers, pushes, deployments. */
export function lineageMarkdown(c: ContainerInfo, records: readonly LineageRecord[]): string {
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
    `- **Run**: ${c.labels[LABEL_RUN_ID] ? `\`${c.labels[LABEL_RUN_ID]}\`` : 'none recorded (the model is not in a run folder)'}`,
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

/** "ML: Show Lineage": a read-only Markdown document for the container. */
export async function showLineage(ctx: DeployContext, c: ContainerInfo): Promise<string> {
  const text = lineageMarkdown(c, await readAllLineage());
  const uri = ReadonlyDocuments.uri(`Lineage ${c.name}.md`, `lineage:${c.id}`);
  ctx.docs.set(uri, text);
  await ctx.docs.show(uri, 'markdown', { preview: true });
  return text;
}
