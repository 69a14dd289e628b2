/**
 * Messages between the ONNX inspector custom editor and its webview. Both the extension bundle and the
 * browser bundle compile it, so it imports types only, from src/core/onnx/modelSummary.ts (whose imports
 * hold no Node code). Handshake: the webview posts `ready`, the extension answers with
 * the whole `state` (or a `loadError`); a change on disk sends a new `state` with `reload: true`.
 * Messages from the webview are untrusted: `parseInspectorMessage` validates them, and a tensor request is
 * only accepted for a tensor the loaded model has (the extension then looks the reference up itself).
 */
import type { ModelSummary, ValueSummary } from '../core/onnx/modelSummary';
import type { OnnxDim } from '../core/onnx/onnxModel';

/** A dimension: a size, a symbolic name, or null for unknown (core's OnnxDim). */
export type InspectorDim = OnnxDim;

/** What Measure Shapes records of a tensor's values (core's TensorValueStats): over finite values, NaN/Inf apart. */
export interface InspectorValueStats {
  min: number | null;
  max: number | null;
  mean: number | null;
  nanCount: number;
  infCount: number;
}

/**
 * A graph input, output or value info, as core summarizes it (type text, element type, shape). `source`
 * says where an intermediate tensor's type comes from: the file's value_info (absent), shape inference, or a
 * run of the model (Measure Shapes, which adds the values' `stats`).
 */
export type InspectorValue = ValueSummary & { source?: 'inferred' | 'measured'; stats?: InspectorValueStats };

export interface InspectorTensor {
  name: string;
  dtype: string;
  dims: number[];
  bytes: number;
  location: 'inline' | 'external';
}

export interface InspectorAttribute {
  name: string;
  type: string;
  /** The value as display text (lists cut, tensors described, never tensor values). */
  text: string;
}

export interface InspectorSubgraphs {
  attribute: string;
  graphs: InspectorGraph[];
}

export interface InspectorNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: InspectorAttribute[];
  subgraphs: InspectorSubgraphs[];
  docString?: string;
}

export interface InspectorGraph {
  /** Scope id: '' for the main graph, `<parent>/<node index>.<attribute>.<k>` for subgraphs. */
  id: string;
  name: string;
  nodes: InspectorNode[];
  inputs: InspectorValue[];
  outputs: InspectorValue[];
  initializers: InspectorTensor[];
  valueInfo: InspectorValue[];
}

/** The model summary exactly as core's summarizeOnnxModel returns it. */
export type InspectorSummary = ModelSummary;

export interface InspectorState {
  fileName: string;
  summary: InspectorSummary;
  graph: InspectorGraph;
  /** Milliseconds the extension took to read the model. */
  loadMs: number;
}

export interface InspectorLoadError {
  fileName: string;
  message: string;
  /** Byte offset of the problem, for format errors. */
  offset?: number;
  kind: 'format' | 'io';
}

export interface InspectorTensorStats {
  name: string;
  dtype: string;
  dims: number[];
  count: number;
  supported: boolean;
  reason?: string;
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  nanCount?: number;
  infCount?: number;
  zeroCount?: number;
  first: (number | string | boolean)[];
}

export type InspectorToWebview =
  | { type: 'loading'; fileName: string }
  | { type: 'state'; state: InspectorState; reload: boolean }
  | { type: 'loadError'; error: InspectorLoadError }
  | { type: 'tensorStats'; requestId: number; graphId: string; tensor: string; stats: InspectorTensorStats }
  | { type: 'tensorStatsError'; requestId: number; graphId: string; tensor: string; message: string }
  /** Measure Shapes' result: these tensors' shapes as a run produced them (`source: 'measured'`), to merge by name. */
  | { type: 'measuredValues'; graphId: string; values: InspectorValue[] };

export type InspectorFromWebview =
  | { type: 'ready' }
  | { type: 'reload' }
  | { type: 'reopenWith' }
  | { type: 'requestTensorStats'; requestId: number; graphId: string; tensor: string };

/** What the parser may ask about the loaded model. */
export interface InspectorParseContext {
  hasTensor(graphId: string, tensor: string): boolean;
}

// ---- validation -----------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Longest tensor name and graph scope id accepted from the webview. */
export const MAX_NAME_LENGTH = 4096;

/** The message when it is a well-formed InspectorFromWebview (and names a tensor the model has), else undefined. */
export function parseInspectorMessage(raw: unknown, context?: InspectorParseContext): InspectorFromWebview | undefined {
  if (!isObj(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'reload':
    case 'reopenWith':
      return { type: raw.type };
    case 'requestTensorStats': {
      const { requestId, graphId, tensor } = raw;
      if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId) || requestId < 0) return undefined;
      if (!isString(graphId, MAX_NAME_LENGTH) || !isString(tensor, MAX_NAME_LENGTH) || tensor.length === 0) return undefined;
      if (!context || !context.hasTensor(graphId, tensor)) return undefined;
      return { type: 'requestTensorStats', requestId, graphId, tensor };
    }
    default:
      return undefined;
  }
}

/** Key of a tensor in a graph scope, for the extension's lookup table. */
export function tensorKey(graphId: string, tensor: string): string {
  return `${graphId}\u0000${tensor}`;
}
