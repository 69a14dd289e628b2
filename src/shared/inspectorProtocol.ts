/**
 * Messages between the ONNX inspector custom editor and its webview. Both the extension bundle and the
 * browser bundle compile it, so it imports types only, from src/core/onnx/modelSummary.ts (whose imports
 * hold no Node code). Handshake: the webview posts `ready`, the extension answers with
 * the whole `state` (or a `loadError`); a change on disk sends a new `state` with `reload: true`. The
 * document's pending edits come as `edits` after each state and each change; the page asks for one with `edit`.
 * Messages from the webview are untrusted: `parseInspectorMessage` validates them, and a tensor request is
 * only accepted for a tensor the loaded model has (the extension then looks the reference up itself).
 */
import type { ModelSummary, ValueSummary } from '../core/onnx/modelSummary';
import type { OnnxDim } from '../core/onnx/onnxModel';
import type { EditedModel, ModelEditStep } from '../core/onnx/edit/editSteps';

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

/** One edit the Summary tab asks for (core's ModelEditStep), in the names it shows. */
export type InspectorEditStep = ModelEditStep;

/** The document's edits: whether editing is allowed, how many wait for Save, the model they leave, the last error. */
export interface InspectorEdits {
  canEdit: boolean;
  /** Why editing is off (Restricted Mode). */
  reason?: string;
  /** Edits not saved yet. */
  pending: number;
  /** The model with the pending edits applied; absent before the model is read, or when they no longer fit the file. */
  edited?: EditedModel;
  /** One line: an edit refused, or a failed save, with the way out. */
  error?: string;
}

export type InspectorToWebview =
  | { type: 'loading'; fileName: string }
  | { type: 'state'; state: InspectorState; reload: boolean }
  | { type: 'loadError'; error: InspectorLoadError }
  | { type: 'tensorStats'; requestId: number; graphId: string; tensor: string; stats: InspectorTensorStats }
  | { type: 'tensorStatsError'; requestId: number; graphId: string; tensor: string; message: string }
  /** Measure Shapes' result: these tensors' shapes as a run produced them (`source: 'measured'`), to merge by name. */
  | { type: 'measuredValues'; graphId: string; values: InspectorValue[] }
  | { type: 'edits'; edits: InspectorEdits };

export type InspectorFromWebview =
  | { type: 'ready' }
  | { type: 'reload' }
  | { type: 'reopenWith' }
  | { type: 'requestTensorStats'; requestId: number; graphId: string; tensor: string }
  | { type: 'edit'; step: InspectorEditStep };

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
    case 'edit': {
      const step = parseEditStep(raw.step);
      return step ? { type: 'edit', step } : undefined;
    }
    default:
      return undefined;
  }
}

/** Most tensors an extraction names on either side. */
const MAX_EXTRACT_NAMES = 1024;

/** Longest metadata value and doc string accepted from the webview. */
export const MAX_TEXT_LENGTH = 1 << 20;

const isName = (v: unknown): v is string => isString(v, MAX_NAME_LENGTH) && v.length > 0;

/** An edit step as the Summary tab sends it: names non-empty, a dim a size or a name (never unknown), integers safe. */
function parseEditStep(raw: unknown): InspectorEditStep | undefined {
  if (!isObj(raw)) return undefined;
  switch (raw.kind) {
    case 'renameInput':
    case 'renameOutput':
      return isName(raw.from) && isName(raw.to) ? { kind: raw.kind, from: raw.from, to: raw.to } : undefined;
    case 'setDim': {
      const { tensor, axis, value } = raw;
      if (!isName(tensor) || typeof axis !== 'number' || !Number.isInteger(axis) || axis < 0 || axis > 1024) return undefined;
      const okValue = typeof value === 'number' ? Number.isSafeInteger(value) && value >= 0 : isName(value) && value.trim() !== '';
      return okValue ? { kind: 'setDim', tensor, axis, value: value as number | string } : undefined;
    }
    case 'setMeta':
      return isName(raw.key) && isString(raw.value, MAX_TEXT_LENGTH) ? { kind: 'setMeta', key: raw.key, value: raw.value } : undefined;
    case 'removeMeta':
      return isName(raw.key) ? { kind: 'removeMeta', key: raw.key } : undefined;
    case 'setDocString':
      return isString(raw.value, MAX_TEXT_LENGTH) ? { kind: 'setDocString', value: raw.value } : undefined;
    case 'setModelVersion':
      return typeof raw.value === 'number' && Number.isSafeInteger(raw.value) ? { kind: 'setModelVersion', value: raw.value } : undefined;
    case 'renameNode':
      return isName(raw.from) && isName(raw.to) ? { kind: 'renameNode', from: raw.from, to: raw.to } : undefined;
    case 'addOutput':
      if (!isName(raw.tensor) || (raw.name !== undefined && !isName(raw.name))) return undefined;
      return { kind: 'addOutput', tensor: raw.tensor, ...(raw.name !== undefined ? { name: raw.name } : {}) };
    case 'removeOutput':
      return isName(raw.output) ? { kind: 'removeOutput', output: raw.output } : undefined;
    case 'extract': {
      const names = (v: unknown): v is string[] => Array.isArray(v) && v.length <= MAX_EXTRACT_NAMES && v.every(isName);
      if (!names(raw.inputs) || !names(raw.outputs) || raw.outputs.length === 0) return undefined;
      return { kind: 'extract', inputs: [...raw.inputs], outputs: [...raw.outputs] };
    }
    default:
      return undefined;
  }
}

/** Key of a tensor in a graph scope, for the extension's lookup table. */
export function tensorKey(graphId: string, tensor: string): string {
  return `${graphId}\u0000${tensor}`;
}
