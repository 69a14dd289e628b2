/** The Weights section of Compare With…'s markdown: the tensors whose values differ, largest difference first. */
import { formatBytes } from '../../core/format/formatBytes';
import { formatDifference } from '../../core/onnx/compareModels';
import type { WeightChange, WeightsComparison, WeightsSummary } from '../../core/onnx/compareWeights';

/** At most this many rows; the rest are counted. */
const MAX_ROWS = 500;

const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, "'");
const type = (dtype: string, shape: number[]): string => `${dtype}[${shape.join(',')}]`;

/** One line: how many tensors changed, or that all are the same. */
export function weightsHeadline(s: WeightsSummary): string {
  const differ = s.changed + s.added + s.removed;
  const errors = s.errors.length ? `; ${s.errors.length} could not be read` : '';
  if (differ === 0) return `same values in all ${s.compared} tensors${errors}`;
  return `**${s.changed} of ${s.compared} tensors changed**, ${s.added} added, ${s.removed} removed${errors}`;
}

function row(w: WeightChange): string {
  const shown =
    w.change === 'changed' && w.before ? `${type(w.before.dtype, w.before.shape)} → ${type(w.dtype, w.shape)}` : type(w.dtype, w.shape);
  const elements =
    w.changedElements === null ? '' : `${w.changedElements.toLocaleString('en-US')} of ${w.elements.toLocaleString('en-US')}`;
  return `| ${w.change} | \`${cell(w.name)}\` | ${cell(shown)} | ${formatDifference(w.maxAbsDiff)} | ${formatDifference(w.maxRelDiff)} | ${elements} | ${cell(w.note ?? '')} |`;
}

export function weightsSection({ weights, summary }: WeightsComparison): string[] {
  const lines = ['## Weights', ''];
  lines.push(
    `${summary.compared} tensors with the same name compared (${formatBytes(summary.bytesRead)} read): ${summary.unchanged} the same, ${summary.changed} changed; ${summary.added} added, ${summary.removed} removed.`,
    '',
  );
  if (weights.length) {
    lines.push('| | Tensor | Type | Max abs diff | Max rel diff | Changed elements | |', '|---|---|---|---:|---:|---:|---|');
    lines.push(...weights.slice(0, MAX_ROWS).map(row));
    if (weights.length > MAX_ROWS) lines.push('', `… and ${weights.length - MAX_ROWS} more (\`mlw diff A B\` lists them all).`);
    lines.push('');
  }
  for (const e of summary.errors) lines.push(`- \`${cell(e.name)}\` was not compared: ${e.message}`);
  return lines;
}
