/**
 * Measure Shapes: runs a model once with onnxruntime-node and records every main-graph tensor's real shape and
 * value statistics. Intermediate tensors are not outputs, so ORT would free them: a temporary copy of the model
 * lists them as extra graph outputs (appendGraphOutputs), typed from the file's value_info or shape inference.
 * A tensor whose element type stays unknown, or that onnxruntime-node cannot hold, is skipped and said so.
 * The copy sits in a temporary folder, or beside the model when its weights are in external files (their
 * locations are relative to the model's folder), and is removed when the run ends.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dataTypeName } from '../../onnx/dataTypes';
import type { OnnxModel } from '../../onnx/onnxModel';
import { readModel } from '../../onnx/readModel';
import { inferModelShapes } from '../../onnx/shapes';
import { summarizeOnnxModel } from '../../onnx/summarizeModel';
import { createSession, OrtSessionError, QUIET_RUN_OPTIONS, type SessionOptions } from '../createSession';
import { makeInputs, type Feeds, type InputOptions } from '../makeInputs';
import type { OrtTensor } from '../ortTensor';
import { ortTypeOf, type OrtType } from '../ortTypes';
import { appendGraphOutputs, type AddedOutput } from './appendGraphOutputs';
import { tensorValueStats, type TensorValueStats } from './tensorValueStats';

export type { TensorValueStats } from './tensorValueStats';

export interface MeasuredTensor {
  name: string;
  /** TensorProto.DataType code. */
  elemType: number;
  shape: number[];
  source: 'measured';
  /** Absent for string tensors. */
  stats?: TensorValueStats;
}

export interface MeasureShapesOptions extends InputOptions, Omit<SessionOptions, 'graphOptimizationLevel'> {
  /** Feeds for some or all inputs; random values (InputOptions) fill the rest. */
  feeds?: Feeds;
  /** Default 'disabled': the graph runs as written, so every tensor exists. */
  graphOptimizationLevel?: SessionOptions['graphOptimizationLevel'];
  signal?: AbortSignal;
}

export interface MeasureShapesResult {
  model: string;
  /** The feeds the run used. */
  inputs: { name: string; type: string; shape: number[] }[];
  /** Graph inputs, then node outputs in node order (graph outputs among them). */
  tensors: MeasuredTensor[];
  /** Tensors that could not be measured, and why. */
  skipped: { name: string; reason: string }[];
  runMs: number;
}

const CODE_OF: Partial<Record<OrtType, number>> = {};
for (let code = 1; code <= 16; code++) {
  const type = ortTypeOf(code);
  if (type !== undefined && CODE_OF[type] === undefined) CODE_OF[type] = code;
}

/** How many times a session that refuses one of the added outputs is retried without it. */
const MAX_RETRIES = 8;

/** The intermediate tensors to expose, with their element types, and those that cannot be. */
async function planOutputs(
  model: OnnxModel,
  signal?: AbortSignal,
): Promise<{ add: AddedOutput[]; skipped: MeasureShapesResult['skipped'] }> {
  const types = new Map<string, AddedOutput>();
  for (const v of [...model.graph.inputs, ...model.graph.outputs, ...model.graph.valueInfo]) {
    if (v.type?.kind === 'tensor')
      types.set(v.name, { name: v.name, elemType: v.type.elemType, ...(v.type.shape ? { shape: v.type.shape } : {}) });
  }
  try {
    for (const t of (await inferModelShapes(model, signal)).tensors) {
      if (t.elemType !== null && !types.has(t.name))
        types.set(t.name, { name: t.name, elemType: t.elemType, ...(t.shape ? { shape: t.shape } : {}) });
    }
  } catch (e) {
    if (signal?.aborted) throw e;
  }
  const taken = new Set([...model.graph.inputs, ...model.graph.outputs].map((v) => v.name));
  for (const t of model.graph.initializers) taken.add(t.name);
  const add: AddedOutput[] = [];
  const skipped: MeasureShapesResult['skipped'] = [];
  for (const node of model.graph.nodes) {
    for (const name of node.outputs) {
      if (name === '' || taken.has(name)) continue;
      taken.add(name);
      const typed = types.get(name);
      if (typed === undefined || typed.elemType === 0) skipped.push({ name, reason: 'element type unknown' });
      else if (ortTypeOf(typed.elemType) === undefined)
        skipped.push({ name, reason: `${dataTypeName(typed.elemType)} is not supported by onnxruntime-node` });
      else add.push(typed);
    }
  }
  return { add, skipped };
}

function measured(name: string, tensor: OrtTensor, fallbackType: number | undefined): MeasuredTensor {
  const elemType = CODE_OF[tensor.type as OrtType] ?? fallbackType ?? 0;
  const stats = tensorValueStats(tensor.type, tensor.data);
  return { name, elemType, shape: tensor.dims.slice(), source: 'measured', ...(stats ? { stats } : {}) };
}

export async function measureShapes(path: string, options: MeasureShapesOptions = {}): Promise<MeasureShapesResult> {
  const absolute = resolve(path);
  const { signal } = options;
  const model = await readModel(absolute, { signal });
  const summary = await summarizeOnnxModel(model);
  const plan = await planOutputs(model, signal);
  signal?.throwIfAborted();
  const beside = summary.externalData.length > 0;
  const folder = beside ? dirname(absolute) : await mkdtemp(join(tmpdir(), 'mlw-measure-'));
  const copy = join(folder, `.${basename(absolute)}.mlw-measure-${randomBytes(4).toString('hex')}.tmp`);
  const skipped = [...plan.skipped];
  let add = plan.add;
  try {
    let created: Awaited<ReturnType<typeof createSession>> | undefined;
    for (let attempt = 0; created === undefined; attempt++) {
      await appendGraphOutputs(model, add, copy, signal);
      try {
        created = await createSession(copy, { ...options, graphOptimizationLevel: options.graphOptimizationLevel ?? 'disabled' });
      } catch (e) {
        // A type we gave an output may be wrong (inference guessed): ORT names the tensor; drop it and retry.
        const text = e instanceof Error ? e.message : String(e);
        const culprit = add.find((o) => text.includes(`(${o.name})`) || text.includes(`'${o.name}'`));
        if (culprit === undefined || attempt >= MAX_RETRIES) {
          throw e instanceof OrtSessionError ? new OrtSessionError(absolute, 'load', e.cause) : e;
        }
        skipped.push({ name: culprit.name, reason: `onnxruntime refused it as an output of type ${dataTypeName(culprit.elemType)}` });
        add = add.filter((o) => o !== culprit);
      }
    }
    const { session } = created;
    try {
      signal?.throwIfAborted();
      const feeds = makeInputs(summary, { ...options, provided: options.feeds });
      const fetches = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
      const t0 = performance.now();
      let results: Record<string, OrtTensor>;
      try {
        results = await session.run(feeds, fetches, QUIET_RUN_OPTIONS);
      } catch (e) {
        throw new OrtSessionError(absolute, 'run', e, { inputs: Object.entries(feeds).map(([name, t]) => ({ name, shape: t.dims })) });
      }
      const runMs = performance.now() - t0;
      const declared = new Map<string, number>();
      for (const v of [...summary.inputs, ...summary.outputs]) if (v.elemType !== undefined) declared.set(v.name, v.elemType);
      for (const o of add) declared.set(o.name, o.elemType);
      const tensors: MeasuredTensor[] = [];
      for (const input of model.graph.inputs) {
        const feed = feeds[input.name];
        if (feed) tensors.push(measured(input.name, feed, declared.get(input.name)));
      }
      const seen = new Set(tensors.map((t) => t.name));
      for (const node of model.graph.nodes) {
        for (const name of node.outputs) {
          if (seen.has(name) || !(name in results)) continue;
          seen.add(name);
          tensors.push(measured(name, results[name], declared.get(name)));
        }
      }
      for (const name of fetches) if (!seen.has(name)) tensors.push(measured(name, results[name], declared.get(name)));
      for (const name of session.outputNames) if (!fetches.includes(name)) skipped.push({ name, reason: 'not a tensor' });
      return {
        model: absolute,
        inputs: Object.entries(feeds).map(([name, t]) => ({ name, type: t.type, shape: t.dims.slice() })),
        tensors,
        skipped,
        runMs,
      };
    } finally {
      await session.release().catch(() => undefined);
    }
  } finally {
    await rm(beside ? copy : folder, { recursive: true, force: true });
  }
}
