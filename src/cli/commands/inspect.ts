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
import { loadFeeds } from '../../core/ort/makeInputs';
import { measureShapes, type MeasuredTensor, type MeasureShapesResult } from '../../core/ort/measure/measureShapes';
import { UsageError, type CliCommand } from '../cliCommand';
import { parseDims, parseScalars } from './bench';
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
export function formatValueInfo(tensors: readonly (InferredTensor | MeasuredTensor)[]): string {
  const type = (t: InferredTensor | MeasuredTensor): string =>
    `${t.elemType === null ? '?' : dataTypeName(t.elemType)}${t.shape === null ? '[?]' : describeShape(t.shape) || '[]'}`;
  const width = Math.min(40, Math.max(...tensors.map((t) => type(t).length), 4));
  const known = tensors.filter((t) => t.shape !== null && t.shape.every((d: unknown) => d !== null)).length;
  const lines = [`Tensors (${tensors.length}, ${known} with every dim known):`];
  for (const t of tensors) {
    const s = 'stats' in t ? t.stats : undefined;
    const n = (v: number | null): string => (v === null ? '-' : String(Number(v.toPrecision(4))));
    const stats = s
      ? `  min ${n(s.min)} max ${n(s.max)} mean ${n(s.mean)}${s.nanCount ? ` NaN ${s.nanCount}` : ''}${s.infCount ? ` Inf ${s.infCount}` : ''}`
      : '';
    lines.push(`  ${type(t).padEnd(width)}  ${t.source.padEnd(8)}  ${t.name}${stats}`);
  }
  return lines.join('\n');
}

/** valueInfo with the measured tensors in place of what the file or inference said, in the same order. */
export function mergeMeasured(
  tensors: readonly (InferredTensor | MeasuredTensor)[],
  measured: readonly MeasuredTensor[],
): (InferredTensor | MeasuredTensor)[] {
  const byName = new Map(measured.map((m) => [m.name, m]));
  const out = tensors.map((t) => byName.get(t.name) ?? t);
  const listed = new Set(tensors.map((t) => t.name));
  for (const m of measured) if (!listed.has(m.name)) out.push(m);
  return out;
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
  usage: `mlw inspect <model.onnx|.safetensors|.pt|.pth> [--json] [--shapes [--measure [--input NAME=FILE.npy ...] [--dim NAME=N ...]]]

Reads the model's structure (weights are not loaded) and prints its IR version, producer, opsets, inputs and
outputs with shapes, parameters and bytes by element type, the ${TOP_OPERATORS} most used operators and metadata.
  --json   print the whole ModelSummary as JSON
  --shapes also infer every tensor's element type and shape (from value_info, else by shape inference): a
           table, or with --json a valueInfo list [{name, elemType, shape, source: "file"|"inferred"}]
  --measure  with --shapes: run the model once with onnxruntime-node and measure every main-graph tensor
           (source "measured", with stats {min, max, mean, nanCount, infCount}); inputs from --input files
           (.npy as NAME=FILE.npy, or .json), others random, symbolic dims from --dim NAME=N (input:axis=N
           for an unnamed one), a leading one from --batch N (default 1), scalar inputs from --scalar NAME=V
A .safetensors, .pt or .pth file gets its tensors (name, dtype, shape, size), parameters and bytes by dtype,
read from the safetensors header, or from a torch.save checkpoint's pickle without running it.
Exit code: 0, or 1 when the file is missing, not ONNX or corrupt.`,
  async run(args, ctx) {
    const { positionals, values } = parseArgs({
      args,
      options: {
        shapes: { type: 'boolean' },
        measure: { type: 'boolean' },
        input: { type: 'string', multiple: true },
        dim: { type: 'string', multiple: true },
        scalar: { type: 'string', multiple: true },
        batch: { type: 'string' },
      },
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one model path');
    if (values.measure && !values.shapes) throw new UsageError('--measure goes with --shapes');
    if (!values.measure && (values.input || values.dim || values.batch))
      throw new UsageError('--input, --dim and --batch go with --measure');
    const batch = values.batch === undefined ? undefined : Number(values.batch);
    if (batch !== undefined && !(Number.isSafeInteger(batch) && batch >= 1))
      throw new UsageError(`--batch must be a positive integer, got '${values.batch}'`);
    const path = resolve(ctx.workspace, positionals[0]);
    if (isWeightsFile(path)) {
      if (values.shapes) throw new UsageError('--shapes applies to ONNX models only');
      return inspectWeightsFile(path, ctx);
    }
    let summary: ModelSummary;
    let valueInfo: (InferredTensor | MeasuredTensor)[] | undefined;
    let measured: MeasureShapesResult | undefined;
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
        if (values.measure) {
          const feeds = values.input?.length
            ? await loadFeeds(
                summary,
                values.input.map((f) => (f.includes('=') ? f : resolve(ctx.workspace, f))),
              )
            : undefined;
          measured = await measureShapes(path, {
            feeds,
            dims: parseDims(values.dim ?? []),
            scalars: parseScalars(values.scalar ?? []),
            batchSize: batch,
            signal: ctx.signal,
            logger: ctx.logger,
          });
          valueInfo = mergeMeasured(valueInfo, measured.tensors);
        }
      } else summary = await summarizeModel(path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') ctx.err(`mlw inspect: no such file: ${path}`);
      else if (err.code === 'EISDIR') ctx.err(`mlw inspect: ${path} is a folder, not a model file`);
      else if (isOnnxFormatError(e)) ctx.err(`mlw inspect: ${path} is not a valid ONNX model: ${e.message} (at byte ${e.offset})`);
      else throw e;
      return 1;
    }
    const measure = measured && { inputs: measured.inputs, skipped: measured.skipped, runMs: measured.runMs };
    if (valueInfo === undefined) ctx.out(ctx.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    else if (ctx.json) ctx.out(JSON.stringify({ ...summary, valueInfo, ...(measure ? { measure } : {}) }, null, 2));
    else {
      const run = measure
        ? [
            '',
            `Measured in one run of ${measure.runMs.toFixed(1)} ms on ${measure.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(', ')}`,
            ...measure.skipped.map((s) => `  not measured: ${s.name} (${s.reason})`),
          ]
        : [];
      ctx.out([formatSummary(summary), '', formatValueInfo(valueInfo), ...run].join('\n'));
    }
    return 0;
  },
};
