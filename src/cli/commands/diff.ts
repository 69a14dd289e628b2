import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../../core/format/formatBytes';
import { compareModelFiles, formatDifference, isOnnxFormatError, type ModelComparison, type WeightChange } from '../../core/onnx';
import { UsageError, type CliCommand } from '../cliCommand';
import { notOnnxReason } from './inspect';

/** True when nothing differs: structure, figures and every weight compared. */
export function isIdentical(c: ModelComparison): boolean {
  return c.lines.length === 0;
}

const type = (dtype: string, shape: number[]): string => `${dtype}[${shape.join(',')}]`;

function weightRow(w: WeightChange): string[] {
  if (w.change !== 'changed') return [w.change, w.name, type(w.dtype, w.shape), '', '', ''];
  if (w.before) return [w.change, w.name, `${type(w.before.dtype, w.before.shape)} -> ${type(w.dtype, w.shape)}`, '', '', ''];
  return [
    w.change,
    w.name,
    type(w.dtype, w.shape),
    formatDifference(w.maxAbsDiff),
    formatDifference(w.maxRelDiff),
    w.changedElements === null ? (w.note ?? '') : `${w.changedElements}/${w.elements}${w.note ? ` (${w.note})` : ''}`,
  ];
}

/** A comparison as readable text: what differs in structure, then a table of the weights that differ. */
export function formatDiff(c: ModelComparison, a: string, b: string): string {
  const lines = [`A: ${a}  (${formatBytes(c.fileSize.before)})`, `B: ${b}  (${formatBytes(c.fileSize.after)})`];
  const s = c.weightsSummary;
  const structural = c.lines.filter((l) => !l.startsWith('weight'));
  if (isIdentical(c)) {
    lines.push('', `Identical: same structure and the same values in all ${s?.compared ?? 0} weight tensors.`);
    return lines.join('\n');
  }
  lines.push('', `Signature: ${c.sameSignature ? 'same' : 'different'}`);
  if (structural.length) lines.push('', 'Structure:', ...structural.map((l) => `  ${l}`));
  else lines.push('', 'Structure: no differences');
  if (s !== undefined && c.weights !== undefined) {
    lines.push(
      '',
      `Weights: ${s.changed} of ${s.compared} tensors with the same name changed, ${s.added} added, ${s.removed} removed (${formatBytes(s.bytesRead)} read)`,
    );
    if (c.weights.length) {
      const rows = [['', 'tensor', 'type', 'max abs', 'max rel', 'changed elements'], ...c.weights.map(weightRow)];
      const widths = rows[0].map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i].length))));
      for (const r of rows)
        lines.push(`  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`.trimEnd());
    }
    for (const e of s.errors) lines.push(`  not compared: ${e.name}: ${e.message}`);
  }
  return lines.join('\n');
}

export const diffCommand: CliCommand = {
  name: 'diff',
  summary: 'Compare two ONNX models: signature, opsets, operators, sizes, and every weight',
  usage: `mlw diff <a.onnx> <b.onnx> [--json]

Compares two models' structure (inputs and outputs, opsets, operators, node and parameter counts) and their
weights: initializers and Constant tensors matched by name, reported as changed (with the largest absolute
and relative difference over the elements), added or removed. Weight values are streamed from both files
(external data too), so models of any size are compared in little memory.
  --json   print the comparison as JSON: {a, b, identical, ..., weights: [{name, change, dtype, shape,
           maxAbsDiff, maxRelDiff, changedElements, elements}], weightsSummary, lines}
Exit code, as diff(1): 0 when the models are identical, 1 when they differ, 2 on an error (a missing or
invalid file, a weight that could not be read).`,
  async run(args, ctx) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
    if (positionals.length !== 2) throw new UsageError('expected two model paths');
    const [a, b] = positionals.map((p) => resolve(ctx.workspace, p));
    let comparison: ModelComparison;
    try {
      for (const path of [a, b]) {
        const reason = await notOnnxReason(path);
        if (reason !== undefined) {
          ctx.err(`mlw diff: ${path} is not an ONNX model: ${reason}`);
          return 2;
        }
      }
      comparison = await compareModelFiles(a, b, { signal: ctx.signal });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.name === 'AbortError') throw e;
      const path = typeof err.path === 'string' ? err.path : '';
      if (err.code === 'ENOENT') ctx.err(`mlw diff: no such file: ${path}`);
      else if (err.code === 'EISDIR') ctx.err(`mlw diff: ${path} is a folder, not a model file`);
      else if (isOnnxFormatError(e)) ctx.err(`mlw diff: not a valid ONNX model: ${e.message} (at byte ${e.offset})`);
      else ctx.err(`mlw diff: ${err.message}`);
      return 2;
    }
    const identical = isIdentical(comparison);
    ctx.out(ctx.json ? JSON.stringify({ a, b, identical, ...comparison }, null, 2) : formatDiff(comparison, a, b));
    if (comparison.weightsSummary?.errors.length) {
      ctx.err(`mlw diff: ${comparison.weightsSummary.errors.length} weight tensors could not be read and were not compared`);
      return 2;
    }
    return identical ? 0 : 1;
  },
};
