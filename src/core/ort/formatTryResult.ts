import { describeChoices } from './inputDims';
import type { TopKEntry, TryModelResult } from './tryModel';

function topKEntry(e: TopKEntry): string {
  return `#${e.index}${e.label !== undefined ? ` ${e.label}` : ''} ${(e.prob * 100).toFixed(1)}%`;
}

/** The text `mlw try` prints and Try Model shows: shapes, first values, statistics and top-k per output. */
export function formatTryResult(r: TryModelResult): string {
  const lines = [`${r.model}: one run in ${r.runMs.toFixed(2)} ms`, ''];
  for (const i of r.inputs) {
    lines.push(`input  ${i.name}: ${i.type}[${i.shape.join(',')}]`);
    for (const s of r.sources ?? []) if (s.input === i.name) lines.push(`       from ${s.file}: ${s.detail}`);
  }
  for (const c of describeChoices(r.dimensions ?? [], r.scalars ?? [])) lines.push(`       ${c}`);
  for (const o of r.outputs) {
    lines.push(
      `output ${o.name}: ${o.dtype}[${o.shape.join(',')}]  first: ${o.first.map(String).join(', ')}${o.elements > o.first.length ? ', …' : ''}`,
    );
    if (o.min !== undefined) lines.push(`       min ${o.min}  max ${o.max}  mean ${o.mean}${o.nanCount ? `  NaN ${o.nanCount}` : ''}`);
    o.topK?.forEach((row, i) =>
      lines.push(
        `       row ${i} top-${row.length} (${o.scores === 'logits' ? 'softmax of logits' : o.scores}${o.labelsFrom ? `, labels from metadata '${o.labelsFrom}'` : ''}): ${row.map(topKEntry).join('  ')}`,
      ),
    );
    const saved = r.saved?.find((s) => s.output === o.name);
    if (saved?.png) lines.push(`       image ${saved.png} (${saved.scaling})`);
    if (saved?.npy) lines.push(`       saved ${saved.npy}`);
  }
  if (r.skippedOutputs.length) lines.push(`skipped non-tensor outputs: ${r.skippedOutputs.join(', ')}`);
  return lines.join('\n');
}
