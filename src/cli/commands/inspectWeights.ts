/** `mlw inspect` on a `.safetensors`, `.pt` or `.pth` file: tensors, dtypes, shapes, parameter count, bytes per dtype. */
import { formatBytes } from '../../core/format/formatBytes';
import { isWeightsFormatError, summarizeWeightsFile, type WeightsFileSummary } from '../../core/weights';
import type { CliContext } from '../cliCommand';

const MAX_TENSOR_LINES = 200;
const count = (n: number): string => n.toLocaleString('en-US');

export function formatWeightsSummary(s: WeightsFileSummary): string {
  const lines = [
    `${s.path}  (${formatBytes(s.fileSize)})`,
    `${s.format === 'safetensors' ? 'safetensors' : 'PyTorch checkpoint (torch.save)'}`,
  ];
  lines.push('', `Parameters: ${count(s.parameterCount)} (${formatBytes(s.parameterBytes)}) in ${count(s.tensors.length)} tensors`);
  for (const d of s.byDtype)
    lines.push(
      `  ${d.dtype.padEnd(10)} ${count(d.elements).padStart(14)} elements  ${formatBytes(d.bytes).padStart(9)}  ${d.tensors} tensors`,
    );
  if (s.tensors.length) {
    const width = Math.min(60, Math.max(...s.tensors.map((t) => t.name.length)));
    lines.push('', 'Tensors:');
    for (const t of s.tensors.slice(0, MAX_TENSOR_LINES))
      lines.push(`  ${t.name.padEnd(width)}  ${`${t.dtype}[${t.shape.join(',')}]`.padEnd(24)}  ${formatBytes(t.bytes).padStart(9)}`);
    if (s.tensors.length > MAX_TENSOR_LINES) lines.push(`  ... ${s.tensors.length - MAX_TENSOR_LINES} more (--json lists them all)`);
  }
  if (s.metadata.length) {
    lines.push('', 'Metadata:');
    for (const m of s.metadata) lines.push(`  ${m.key}: ${m.value.length > 200 ? m.value.slice(0, 200) + '…' : m.value}`);
  }
  if (s.globals.length) lines.push('', 'Other classes named in the pickle (not imported):', ...s.globals.map((g) => `  ${g}`));
  if (s.warnings.length) lines.push('', 'Warnings:', ...s.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}

/** Prints the summary; 1 (with one line on stderr) when the file cannot be summarised. */
export async function inspectWeightsFile(path: string, ctx: CliContext): Promise<number> {
  let summary: WeightsFileSummary;
  try {
    summary = await summarizeWeightsFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') ctx.err(`mlw inspect: no such file: ${path}`);
    else if (err.code === 'EISDIR') ctx.err(`mlw inspect: ${path} is a folder, not a model file`);
    else if (isWeightsFormatError(e)) ctx.err(`mlw inspect: ${e.message}`);
    else throw e;
    return 1;
  }
  ctx.out(ctx.json ? JSON.stringify(summary, null, 2) : formatWeightsSummary(summary));
  return 0;
}
