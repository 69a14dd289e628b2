/**
 * `int8-static`: QDQ quantisation of weights and activations from calibration data. Where the pairs go is
 * qdqPlan.ts; the ranges come from running the float model over the calibration batches (calibrateActivations.ts)
 * and reading min-max or a percentile off each tensor's histogram (calibrationMath.ts). The variant is written
 * with rewriteModelFile: the replaced nodes and their float weights go, int8 weights are produced one tensor at a
 * time as the writer reaches them, everything else is copied as it was.
 *
 * Formats, as ONNX Runtime's CPU provider runs them fastest (U8S8: its QLinearConv / QGemm / QLinearMatMul and
 * MatMulIntegerToFloat kernels): activations uint8 asymmetric, weights int8 symmetric in [-127, 127] (per tensor,
 * or per output channel with `--per-channel`, which needs DequantizeLinear's axis and so opset ≥ 13), biases
 * int32 with scale x_scale × w_scale. It never calibrates on random inputs: without calibration data it refuses.
 */
import type { NewNode, NewTensor } from '../onnx/edit/newNodes';
import { tensorFromArray } from '../onnx/edit/newNodes';
import { rewriteModelFile, type GraphRewrite } from '../onnx/edit/rewriteModelFile';
import type { ModelSummary } from '../onnx/modelSummary';
import type { OnnxModel } from '../onnx/onnxModel';
import { readTensorData } from '../onnx/readTensorData';
import { summarizeModel } from '../onnx/summarizeModel';
import type { TensorRef } from '../onnx/tensorRef';
import { observeActivations } from './calibrateActivations';
import { calibrationData } from './calibrationData';
import { activationRange, quantizeBias, quantizeWeights, uint8Params, type CalibrationMethod, type QuantParams } from './calibrationMath';
import { planQdq, QUANTIZED_OPS, type PlannedNode } from './qdqPlan';
import type { OptimizationRecipe, RecipeCheck, RecipeOptions } from './recipe';

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;
export const DEFAULT_PERCENTILE = 99.99;

/** The refusal without calibration data: one line, saying how to give it. */
export const CALIBRATION_NEEDED =
  'int8-static needs calibration data: give --calibrate DIR (a folder of .npy/.npz inputs, a few dozen samples) ' +
  'or --eval X.npy|DIR to calibrate on the evaluation inputs; it does not calibrate on random inputs';

/** Ops that mean a model is quantised already. */
const QUANTIZED_ALREADY = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'MatMulInteger',
  'ConvInteger',
  'QGemm',
  'MatMulIntegerToFloat',
  'DynamicQuantizeMatMul',
  'MatMulNBits',
  'QAttention',
  'QLinearAdd',
  'QLinearMul',
]);

export function checkInt8Static(model: ModelSummary): RecipeCheck {
  const quantized = model.operators.filter((o) => QUANTIZED_ALREADY.has(o.opType)).map((o) => o.opType);
  if (quantized.length > 0) return { ok: false, reason: `the model is already quantised (it has ${[...new Set(quantized)].join(', ')})` };
  const ops = model.operators.filter((o) => o.domain === 'ai.onnx' && (QUANTIZED_OPS as readonly string[]).includes(o.opType));
  if (ops.length === 0) return { ok: false, reason: 'there is nothing to quantise: it has no Conv, MatMul or Gemm' };
  if (!model.parametersByDtype.some((d) => d.dataType === FLOAT && d.bytes > 0))
    return { ok: false, reason: 'there is nothing to quantise: it has no float32 weights' };
  const opset = model.opsetImports.find((o) => o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < 10) return { ok: false, reason: `QuantizeLinear needs opset ≥ 10, the model is at opset ${opset}` };
  return { ok: true };
}

/** The calibration inputs `options` give (--calibrate, else --eval), or undefined when there are none. */
export function calibrationSource(options: Pick<RecipeOptions, 'calibrate' | 'eval'>): { path: string; flag: string } | undefined {
  if (options.calibrate) return { path: options.calibrate, flag: '--calibrate' };
  if (options.eval) return { path: options.eval, flag: '--eval' };
  return undefined;
}

/** Checks the calibration options; throws one line. */
export function calibrationSettings(options: RecipeOptions): { method: CalibrationMethod; percentile: number } {
  const method = options.calibration ?? 'minmax';
  if (method !== 'minmax' && method !== 'percentile')
    throw new Error(`--calibration must be minmax or percentile, got '${String(method)}'`);
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  if (!(percentile > 50 && percentile <= 100)) throw new Error(`--percentile must be in (50, 100], got ${percentile}`);
  return { method, percentile };
}

async function floats(ref: TensorRef): Promise<Float32Array> {
  const data = await readTensorData(ref);
  return Float32Array.from(data.values as Float32Array);
}

/** The weight with a folded BatchNormalization applied (per output channel, axis 0). */
async function foldedWeight(n: PlannedNode): Promise<Float32Array> {
  const w = await floats(n.weight);
  if (!n.batchNorm) return w;
  const factor = await bnFactor(n);
  const inner = w.length / factor.length;
  for (let i = 0; i < w.length; i++) w[i] *= factor[Math.floor(i / inner)];
  return w;
}

async function bnFactor(n: PlannedNode): Promise<Float64Array> {
  const bn = n.batchNorm!;
  const scale = await floats(bn.scale);
  const variance = await floats(bn.variance);
  return Float64Array.from(scale, (g, c) => g / Math.sqrt(variance[c] + bn.epsilon));
}

/** The bias after Gemm's beta and a folded BatchNormalization, or undefined when the node has none. */
async function foldedBias(n: PlannedNode): Promise<Float64Array | undefined> {
  if (!n.bias && !n.batchNorm) return undefined;
  const channels = n.weight.dims[n.outputAxis];
  const b = new Float64Array(channels);
  if (n.bias) {
    const values = await floats(n.bias);
    for (let c = 0; c < channels; c++) b[c] = values[c] * n.biasFactor;
  }
  if (n.batchNorm) {
    const factor = await bnFactor(n);
    const mean = await floats(n.batchNorm.mean);
    const beta = await floats(n.batchNorm.bias);
    for (let c = 0; c < channels; c++) b[c] = (b[c] - mean[c]) * factor[c] + beta[c];
  }
  return b;
}

function allNames(model: OnnxModel): Set<string> {
  const g = model.graph;
  const names = new Set<string>();
  for (const n of g.nodes) for (const t of [...n.inputs, ...n.outputs]) names.add(t);
  for (const t of g.initializers) names.add(t.name);
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) names.add(v.name);
  return names;
}

interface Calibration {
  method: CalibrationMethod;
  percentile: number;
  perChannel: boolean;
  source: { path: string; flag: string };
  signal?: AbortSignal;
}

async function buildRewrite(model: OnnxModel, summary: ModelSummary, c: Calibration): Promise<GraphRewrite> {
  const g = model.graph;
  const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (c.perChannel && Number(opset) < 13)
    throw new Error(
      `--per-channel needs DequantizeLinear's axis, opset ≥ 13; the model is at opset ${opset} (leave out --per-channel, or re-export at opset 13 or later)`,
    );
  const plan = planQdq(model, c.perChannel);
  if (plan.nodes.length === 0)
    throw new Error(
      `there is nothing to quantise: no Conv, MatMul or Gemm with float32 constant weights${plan.skipped.length ? ` (${plan.skipped[0]})` : ''}`,
    );
  const data = await calibrationData(summary, c.source.path, c.source.flag);
  const observed = await observeActivations(model, plan.calibrated, data, {
    externalData: summary.externalData.length > 0,
    signal: c.signal,
  });
  if (observed.samples === 0) throw new Error(`${c.source.flag} ${c.source.path}: the calibration data holds no samples`);

  const names = allNames(model);
  const unique = (base: string): string => {
    let name = base;
    for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
    names.add(name);
    return name;
  };
  const addInitializers: NewTensor[] = [];
  const insertBefore = new Map<number, NewNode[]>();
  const at = (key: number): NewNode[] => {
    let list = insertBefore.get(key);
    if (!list) insertBefore.set(key, (list = []));
    return list;
  };
  const inputRenames = new Map<string, string>();
  const outputRenames = new Map<string, string>();
  const removeNodes = new Set<number>();

  // Activation parameters: a scale and a zero point each (shared by pass-through outputs).
  const params = new Map<string, { scale: string; zeroPoint: string; values: QuantParams }>();
  for (const a of plan.activations.values()) {
    if (a.shareFrom !== undefined) continue;
    const range = activationRange(observed.histograms.get(a.name)!, c.method, c.percentile);
    const values = uint8Params(a.relu ? { min: 0, max: Math.max(range.max, 0) } : range);
    const scale = unique(`${a.name}_scale`);
    const zeroPoint = unique(`${a.name}_zero_point`);
    addInitializers.push(tensorFromArray(scale, FLOAT, [], Float32Array.of(values.scale)));
    addInitializers.push(tensorFromArray(zeroPoint, UINT8, [], Uint8Array.of(values.zeroPoint)));
    params.set(a.name, { scale, zeroPoint, values });
  }
  for (const a of plan.activations.values()) if (a.shareFrom !== undefined) params.set(a.name, params.get(a.shareFrom)!);

  /** Q/DQ of activation `name` read from `from`, the DQ writing `to`. */
  const qdq = (name: string, from: string, to: string): NewNode[] => {
    const p = params.get(name)!;
    const q = unique(`${name}_quantized`);
    return [
      { opType: 'QuantizeLinear', name: unique(`${name}_QuantizeLinear`), inputs: [from, p.scale, p.zeroPoint], outputs: [q] },
      { opType: 'DequantizeLinear', name: unique(`${name}_DequantizeLinear`), inputs: [q, p.scale, p.zeroPoint], outputs: [to] },
    ];
  };
  const readName = new Map<string, string>();
  const graphInputs = new Set(g.inputs.map((v) => v.name));
  for (const name of plan.activations.keys()) {
    if (!graphInputs.has(name)) continue;
    const dq = unique(`${name}_dequantized`);
    at(0).push(...qdq(name, name, dq));
    inputRenames.set(name, dq);
    readName.set(name, dq);
  }

  // Tensors pass-through ops read to write a tensor of the same parameters, and those tensors themselves.
  const sharedBy = new Set<string>();
  for (const node of g.nodes) {
    if (plan.activations.get(node.outputs[0])?.shareFrom === undefined) continue;
    sharedBy.add(node.inputs[0]);
    sharedBy.add(node.outputs[0]);
  }
  const plannedAt = new Map(plan.nodes.map((n) => [n.index, n]));
  for (const n of plan.nodes) {
    removeNodes.add(n.index);
    if (n.batchNorm) removeNodes.add(n.batchNorm.index);
    if (n.relu) removeNodes.add(n.relu.index);
  }
  let batchNorms = 0;
  let relus = 0;
  for (const [i, node] of g.nodes.entries()) {
    const n = plannedAt.get(i);
    if (!n) {
      if (removeNodes.has(i)) continue;
      for (const out of node.outputs) {
        if (!plan.activations.has(out)) continue;
        if (sharedBy.has(out)) {
          // Pass-through ops read it quantised too (so ORT runs them on uint8): every consumer reads the DQ.
          const float = unique(`${out}_float`);
          outputRenames.set(out, float);
          at(i + 1).push(...qdq(out, float, out));
        } else {
          // Only the quantised nodes read the DQ; other consumers (a residual Add, say) keep the float values.
          const dq = unique(`${out}_dequantized`);
          at(i + 1).push(...qdq(out, out, dq));
          readName.set(out, dq);
        }
      }
      continue;
    }
    // The replaced node: int8 weight (and int32 bias) through DequantizeLinear.
    const w = n.weight;
    const { scales } = quantizeWeights(await foldedWeight(n), w.dims, n.channelAxis);
    const perChannel = n.channelAxis !== undefined;
    const scaleDims = perChannel ? [scales.length] : [];
    const axis = perChannel ? [{ name: 'axis', kind: 'int' as const, value: n.channelAxis! }] : [];
    const wq = unique(`${w.name}_quantized`);
    const ws = unique(`${w.name}_scale`);
    const wz = unique(`${w.name}_zero_point`);
    const wdq = unique(`${w.name}_dequantized`);
    const count = w.dims.reduce((a, b) => a * b, 1);
    addInitializers.push({
      name: wq,
      dataType: INT8,
      dims: w.dims,
      byteLength: count,
      bytes: async () => {
        const q = quantizeWeights(await foldedWeight(n), w.dims, n.channelAxis).values;
        return new Uint8Array(q.buffer, q.byteOffset, q.byteLength);
      },
    });
    addInitializers.push(tensorFromArray(ws, FLOAT, scaleDims, scales));
    addInitializers.push(tensorFromArray(wz, INT8, scaleDims, new Int8Array(scales.length)));
    const list = at(i);
    list.push({
      opType: 'DequantizeLinear',
      name: unique(`${w.name}_DequantizeLinear`),
      inputs: [wq, ws, wz],
      outputs: [wdq],
      attributes: axis,
    });
    const inputs = [readName.get(n.input) ?? n.input, wdq];
    const bias = await foldedBias(n);
    if (bias) {
      const base = n.bias?.name ?? `${w.name}_bias`;
      const xScale = params.get(n.input)!.values.scale;
      const qb = quantizeBias(bias, xScale, scales);
      const bq = unique(`${base}_quantized`);
      const bs = unique(`${base}_scale`);
      const bz = unique(`${base}_zero_point`);
      const bdq = unique(`${base}_dequantized`);
      addInitializers.push(tensorFromArray(bq, INT32, [bias.length], qb.values));
      addInitializers.push(tensorFromArray(bs, FLOAT, scaleDims, qb.scales));
      addInitializers.push(tensorFromArray(bz, INT32, scaleDims, new Int32Array(qb.scales.length)));
      list.push({
        opType: 'DequantizeLinear',
        name: unique(`${base}_DequantizeLinear`),
        inputs: [bq, bs, bz],
        outputs: [bdq],
        attributes: perChannel ? [{ name: 'axis', kind: 'int', value: 0 }] : [],
      });
      inputs.push(bdq);
    }
    const written = n.quantizeOutput ? unique(`${n.output}_float`) : n.output;
    list.push({ opType: n.node.opType, name: n.node.name, inputs, outputs: [written], attributes: n.attributes });
    if (n.quantizeOutput) list.push(...qdq(n.output, written, n.output));
    if (n.batchNorm) batchNorms++;
    if (n.relu) relus++;
  }

  // Initializers only the removed nodes read go with them.
  const readers = new Map<string, number[]>();
  g.nodes.forEach((node, i) => {
    for (const t of node.inputs) readers.set(t, [...(readers.get(t) ?? []), i]);
  });
  const graphOutputs = new Set(g.outputs.map((v) => v.name));
  const removeInitializers = new Set(
    g.initializers
      .filter(
        (t) => !graphOutputs.has(t.name) && (readers.get(t.name) ?? []).length > 0 && readers.get(t.name)!.every((i) => removeNodes.has(i)),
      )
      .map((t) => t.name),
  );
  const written = new Set(plan.nodes.map((n) => n.output));
  const dropValueInfo = new Set<string>();
  for (const i of removeNodes) for (const o of g.nodes[i].outputs) if (!written.has(o)) dropValueInfo.add(o);

  const counts = new Map<string, number>();
  for (const n of plan.nodes) counts.set(n.node.opType, (counts.get(n.node.opType) ?? 0) + 1);
  const calibration = c.method === 'percentile' ? `percentile ${c.percentile}` : 'min-max';
  return {
    removeNodes,
    insertBefore,
    inputRenames,
    outputRenames,
    removeInitializers,
    addInitializers,
    dropValueInfo,
    changes: [
      `quantised ${[...counts].map(([op, k]) => `${k} ${op}`).join(', ')} to int8 weights (${c.perChannel ? 'per channel' : 'per tensor'}) and uint8 activations`,
      `calibrated ${plan.calibrated.length} activations by ${calibration} on ${observed.samples} samples (${observed.batches} batches) from ${data.description}`,
      ...(batchNorms ? [`folded ${batchNorms} BatchNormalization into Conv weights`] : []),
      ...(relus ? [`folded ${relus} Relu into QuantizeLinear (zero point 0)`] : []),
      ...plan.skipped.map((s) => `left in float32: ${s}`),
    ],
  };
}

export const int8StaticRecipe: OptimizationRecipe = {
  name: 'int8-static',
  description: 'QDQ quantisation of weights and activations from calibration data (--calibrate DIR, min-max or percentile)',
  applies: checkInt8Static,
  async apply(input, output, options, signal) {
    const source = calibrationSource(options);
    if (!source) throw new Error(CALIBRATION_NEEDED);
    const { method, percentile } = calibrationSettings(options);
    signal?.throwIfAborted();
    const summary = await summarizeModel(input);
    await rewriteModelFile(
      input,
      output,
      (model) => buildRewrite(model, summary, { method, percentile, perChannel: options.perChannel ?? false, source, signal }),
      { signal },
    );
  },
};
