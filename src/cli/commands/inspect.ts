import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../../core/format/formatBytes';
import {
  dataTypeName,
  describeShape,
  inferModelShapes,
  isOnnxFormatError,
  readModelWithStats,
  sniffModelFormat,
  SNIFF_BYTES,
  summarizeModel,
  summarizeOnnxModel,
  type InferredTensor,
  type ModelSummary,
  type ValueSummary,
} from '../../core/onnx';
import { isWeightsFile } from '../../core/weights';
import { UsageError, type CliCommand } from '../cliCommand';
import { inspectWeightsFile } from './inspectWeights';

const TOP_OPERATORS = 15;

function valueLine(v: ValueSummary): string {
  const shape = v.shape ? describeShape(v.shape) : ' (rank unknown)';
  return `  ${v.name}  ${v.kind === 'tensor' ? `${v.elemTypeName ?? '?'}${shape}` : v.type}`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** ModelSummary as readable text. */
export function formatSummary(s: ModelSummary): string {
  const lines: string[] = [];
  lines.push(`${s.path}  (${formatBytes(s.fileSize)})`);
  lines.push(
    `IR version ${s.irVersion}; producer ${s.producerName || '?'}${s.producerVersion ? ' ' + s.producerVersion : ''}${s.graphName ? `; graph '${s.graphName}'` : ''}`,
  );
  if (s.domain || s.modelVersion) lines.push(`Domain ${s.domain || '-'}; model version ${s.modelVersion}`);
  lines.push(`Opsets: ${s.opsetImports.map((o) => `${o.domain} ${o.version}`).join(', ') || '-'}`);
  lines.push('', `Inputs (${s.inputs.length}):`, ...s.inputs.map(valueLine));
  lines.push('', `Outputs (${s.outputs.length}):`, ...s.outputs.map(valueLine));
  lines.push(
    '',
    `Parameters: ${count(s.parameterCount)} (${formatBytes(s.parameterBytes)}) in ${s.initializerCount} initializers${s.attributeTensorCount ? ` + ${s.attributeTensorCount} attribute tensors` : ''}`,
  );
  for (const d of s.parametersByDtype)
    lines.push(
      `  ${d.dtype.padEnd(10)} ${count(d.elements).padStart(14)} elements  ${formatBytes(d.bytes).padStart(9)}  ${d.tensors} tensors`,
    );
  const ops = [...s.operators].sort((a, b) => b.count - a.count);
  lines.push(
    '',
    `Operators: ${s.nodeCount} nodes, ${ops.length} types${s.subgraphCount ? `, ${s.subgraphCount} subgraphs` : ''}${s.functions.length ? `, ${s.functions.length} functions` : ''}`,
  );
  for (const o of ops.slice(0, TOP_OPERATORS))
    lines.push(`  ${String(o.count).padStart(6)}  ${o.domain === 'ai.onnx' ? o.opType : `${o.domain}.${o.opType}`}`);
  if (ops.length > TOP_OPERATORS) lines.push(`  ... ${ops.length - TOP_OPERATORS} more types`);
  if (s.externalData.length) {
    lines.push('', 'External data:');
    for (const e of s.externalData)
      lines.push(`  ${e.location}  ${e.tensors} tensors, ${formatBytes(e.bytes)}${e.error ? `  (${e.error})` : ''}`);
  }
  if (s.metadataProps.length) {
    lines.push('', 'Metadata:');
    for (const m of s.metadataProps) lines.push(`  ${m.key}: ${m.value.length > 200 ? m.value.slice(0, 200) + '…' : m.value}`);
  }
  if (s.docString) lines.push('', `Doc: ${s.docString.length > 300 ? s.docString.slice(0, 300) + '…' : s.docString}`);
  if (s.warnings.length) lines.push('', 'Warnings:', ...s.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}

/** The valueInfo table of `--shapes`: one line per tensor, name, type and shape, and where the shape comes from. */
export function formatValueInfo(tensors: readonly InferredTensor[]): string {
  const type = (t: InferredTensor): string =>
    `${t.elemType === null ? '?' : dataTypeName(t.elemType)}${t.shape === null ? '[?]' : describeShape(t.shape) || '[]'}`;
  const width = Math.min(40, Math.max(...tensors.map((t) => type(t).length), 4));
  const known = tensors.filter((t) => t.shape !== null && !t.shape.includes(null)).length;
  const lines = [`Tensors (${tensors.length}, ${known} with every dim known):`];
  for (const t of tensors) lines.push(`  ${type(t).padEnd(width)}  ${t.source.padEnd(8)}  ${t.name}`);
  return lines.join('\n');
}

/** Says in one line why a file is not an ONNX model, or undefined when its first bytes look like one. */
export async function notOnnxReason(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const buf = new Uint8Array(Math.min(SNIFF_BYTES, size));
    await handle.read(buf, 0, buf.length, 0);
    const sniff = sniffModelFormat(buf, size);
    return sniff.format === 'onnx' ? undefined : sniff.reason;
  } finally {
    await handle.close();
  }
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'Summarize an ONNX model: inputs, outputs, opsets, parameters, operators',
  usage: `mlw inspect <model.onnx|.safetensors|.pt|.pth> [--json] [--shapes]

Reads the model's structure (weights are not loaded) and prints its IR version, producer, opsets, inputs and
outputs with shapes, parameters and bytes by element type, the ${TOP_OPERATORS} most used operators and metadata.
  --json   print the whole ModelSummary as JSON
  --shapes also infer every tensor's element type and shape (from value_info, else by shape inference): a
           table, or with --json a valueInfo list [{name, elemType, shape, source: "file"|"inferred"}]
A .safetensors, .pt or .pth file gets its tensors (name, dtype, shape, size), parameters and bytes by dtype,
read from the safetensors header, or from a torch.save checkpoint's pickle without running it.
Exit code: 0, or 1 when the file is missing, not ONNX or corrupt.`,
  async run(args, ctx) {
    const { positionals, values } = parseArgs({ args, options: { shapes: { type: 'boolean' } }, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError('expected exactly one model path');
    const path = resolve(ctx.workspace, positionals[0]);
    if (isWeightsFile(path)) {
      if (values.shapes) throw new UsageError('--shapes applies to ONNX models only');
      return inspectWeightsFile(path, ctx);
    }
    let summary: ModelSummary;
    let valueInfo: InferredTensor[] | undefined;
    try {
      const reason = await notOnnxReason(path);
      if (reason !== undefined) {
        ctx.err(`mlw inspect: ${path} is not an ONNX model: ${reason}`);
        return 1;
      }
      if (values.shapes) {
        const { model, bytesRead } = await readModelWithStats(path);
        summary = await summarizeOnnxModel(model, { bytesRead });
        valueInfo = (await inferModelShapes(model)).tensors;
      } else summary = await summarizeModel(path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') ctx.err(`mlw inspect: no such file: ${path}`);
      else if (err.code === 'EISDIR') ctx.err(`mlw inspect: ${path} is a folder, not a model file`);
      else if (isOnnxFormatError(e)) ctx.err(`mlw inspect: ${path} is not a valid ONNX model: ${e.message} (at byte ${e.offset})`);
      else throw e;
      return 1;
    }
    if (valueInfo === undefined) ctx.out(ctx.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    else
      ctx.out(ctx.json ? JSON.stringify({ ...summary, valueInfo }, null, 2) : `${formatSummary(summary)}\n\n${formatValueInfo(valueInfo)}`);
    return 0;
  },
};
