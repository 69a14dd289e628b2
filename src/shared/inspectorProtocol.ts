/**
 * Messages between the ONNX inspector custom editor and its webview. Imports nothing: both the extension
 * bundle and the browser bundle compile it. Handshake: the webview posts `ready`, the extension answers with
 * the whole `state` (or a `loadError`); a change on disk sends a new `state` with `reload: true`.
 * Messages from the webview are untrusted: `parseInspectorMessage` validates them, and a tensor request is
 * only accepted for a tensor the loaded model has (the extension then looks the reference up itself).
 */

export type InspectorDim = number | string | null;

export interface InspectorValue {
  name: string;
  /** ONNX type text: `tensor(float)`, `seq(tensor(int64))`, ... */
  type: string;
  elemTypeName?: string;
  /** Sizes, symbolic names, null for unknown; undefined when the rank is unknown. */
  shape?: InspectorDim[];
  docString?: string;
}

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

export interface InspectorSummary {
  path: string;
  fileSize: number;
  bytesRead: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graphName: string;
  opsetImports: { domain: string; version: number }[];
  metadataProps: { key: string; value: string }[];
  inputs: InspectorValue[];
  outputs: InspectorValue[];
  initializerCount: number;
  sparseInitializerCount: number;
  parameterCount: number;
  parameterBytes: number;
  parametersByDtype: { dtype: string; tensors: number; elements: number; bytes: number }[];
  attributeTensorCount: number;
  operators: { domain: string; opType: string; count: number }[];
  nodeCount: number;
  subgraphCount: number;
  functions: { name: string; domain: string; overload?: string; nodeCount: number; inputs: string[]; outputs: string[] }[];
  externalData: { location: string; size?: number; tensors: number; bytes: number; error?: string }[];
  trainingInfoCount: number;
  warnings: string[];
}

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
  | { type: 'tensorStatsError'; requestId: number; graphId: string; tensor: string; message: string };

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
