/**
 * Differences between two model summaries: signature (inputs/outputs added, removed, retyped, reshaped),
 * opsets, operators, and size figures; and, when given (see compareWeights.ts), the weights whose values
 * changed. For "what changed between these two exports?".
 */
import type { ModelSummary, ValueSummary } from './modelSummary';
import { describeShape } from './describeType';
import type { WeightChange, WeightsComparison, WeightsSummary } from './compareWeights';

export interface ValueChange {
  name: string;
  before: ValueSummary;
  after: ValueSummary;
  /** Human-readable, e.g. `type tensor(float) -> tensor(float16)`, `shape [1,3,224,224] -> [N,3,224,224]`. */
  changes: string[];
}

export interface SignatureDiff {
  added: ValueSummary[];
  removed: ValueSummary[];
  changed: ValueChange[];
  /** Same names in a different order (positional callers care). */
  reordered: boolean;
}

export interface OpsetChange {
  domain: string;
  before?: number;
  after?: number;
}

export interface OperatorChange {
  domain: string;
  opType: string;
  before: number;
  after: number;
  delta: number;
}

export interface Delta {
  before: number;
  after: number;
  delta: number;
  /** after / before, when before is not 0. */
  ratio?: number;
}

export interface DtypeDelta {
  dtype: string;
  elements: Delta;
  bytes: Delta;
}

export interface ModelComparison {
  /** True when inputs and outputs are the same in name, order, type and shape. */
  sameSignature: boolean;
  inputs: SignatureDiff;
  outputs: SignatureDiff;
  opsets: OpsetChange[];
  operators: { added: OperatorChange[]; removed: OperatorChange[]; changed: OperatorChange[] };
  irVersion: Delta;
  parameters: Delta;
  parameterBytes: Delta;
  parametersByDtype: DtypeDelta[];
  nodeCount: Delta;
  initializerCount: Delta;
  fileSize: Delta;
  /** Weights changed, added or removed (see compareWeights); absent when the weights were not compared. */
  weights?: WeightChange[];
  weightsSummary?: WeightsSummary;
  /** One line per difference, for a terminal or a hover. */
  lines: string[];
}

export function compareModels(a: ModelSummary, b: ModelSummary, weights?: WeightsComparison): ModelComparison {
  const inputs = compareValues(a.inputs, b.inputs);
  const outputs = compareValues(a.outputs, b.outputs);
  const opsets = compareOpsets(a, b);
  const operators = compareOperators(a, b);
  const dtypes = new Set([...a.parametersByDtype, ...b.parametersByDtype].map((d) => d.dtype));
  const parametersByDtype = [...dtypes]
    .sort()
    .map((dtype): DtypeDelta => {
      const x = a.parametersByDtype.find((d) => d.dtype === dtype);
      const y = b.parametersByDtype.find((d) => d.dtype === dtype);
      return { dtype, elements: delta(x?.elements ?? 0, y?.elements ?? 0), bytes: delta(x?.bytes ?? 0, y?.bytes ?? 0) };
    })
    .filter((d) => d.elements.delta !== 0 || d.bytes.delta !== 0);
  const result: ModelComparison = {
    sameSignature: isSame(inputs) && isSame(outputs),
    inputs,
    outputs,
    opsets,
    operators,
    irVersion: delta(a.irVersion, b.irVersion),
    parameters: delta(a.parameterCount, b.parameterCount),
    parameterBytes: delta(a.parameterBytes, b.parameterBytes),
    parametersByDtype,
    nodeCount: delta(a.nodeCount, b.nodeCount),
    initializerCount: delta(a.initializerCount, b.initializerCount),
    fileSize: delta(a.fileSize, b.fileSize),
    ...(weights ? { weights: weights.weights, weightsSummary: weights.summary } : {}),
    lines: [],
  };
  result.lines = describeComparison(result);
  return result;
}

function delta(before: number, after: number): Delta {
  return { before, after, delta: after - before, ...(before !== 0 ? { ratio: after / before } : {}) };
}

const isSame = (d: SignatureDiff): boolean => !d.reordered && d.added.length + d.removed.length + d.changed.length === 0;

function compareValues(before: ValueSummary[], after: ValueSummary[]): SignatureDiff {
  const old = new Map(before.map((v) => [v.name, v]));
  const now = new Map(after.map((v) => [v.name, v]));
  const changed: ValueChange[] = [];
  for (const v of after) {
    const was = old.get(v.name);
    if (was === undefined) continue;
    const changes: string[] = [];
    if (was.type !== v.type) changes.push(`type ${was.type} -> ${v.type}`);
    const s1 = describeShape(was.shape);
    const s2 = describeShape(v.shape);
    if (s1 !== s2) changes.push(`shape ${s1} -> ${s2}`);
    if (changes.length > 0) changed.push({ name: v.name, before: was, after: v, changes });
  }
  const common1 = before.filter((v) => now.has(v.name)).map((v) => v.name);
  const common2 = after.filter((v) => old.has(v.name)).map((v) => v.name);
  return {
    added: after.filter((v) => !old.has(v.name)),
    removed: before.filter((v) => !now.has(v.name)),
    changed,
    reordered: common1.some((name, i) => common2[i] !== name),
  };
}

function compareOpsets(a: ModelSummary, b: ModelSummary): OpsetChange[] {
  const x = new Map(a.opsetImports.map((o) => [o.domain, o.version]));
  const y = new Map(b.opsetImports.map((o) => [o.domain, o.version]));
  const changes: OpsetChange[] = [];
  for (const domain of [...new Set([...x.keys(), ...y.keys()])].sort()) {
    const before = x.get(domain);
    const after = y.get(domain);
    if (before !== after) {
      changes.push({ domain, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) });
    }
  }
  return changes;
}

function compareOperators(a: ModelSummary, b: ModelSummary): ModelComparison['operators'] {
  const key = (domain: string, op: string): string => `${domain}\u0000${op}`;
  const x = new Map(a.operators.map((o) => [key(o.domain, o.opType), o.count]));
  const y = new Map(b.operators.map((o) => [key(o.domain, o.opType), o.count]));
  const result: ModelComparison['operators'] = { added: [], removed: [], changed: [] };
  for (const k of [...new Set([...x.keys(), ...y.keys()])].sort()) {
    const [domain, opType] = k.split('\u0000');
    const before = x.get(k) ?? 0;
    const after = y.get(k) ?? 0;
    const change = { domain, opType, before, after, delta: after - before };
    if (before === 0) result.added.push(change);
    else if (after === 0) result.removed.push(change);
    else if (before !== after) result.changed.push(change);
  }
  return result;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function describeComparison(c: ModelComparison): string[] {
  const lines: string[] = [];
  for (const [label, diff] of [
    ['input', c.inputs],
    ['output', c.outputs],
  ] as const) {
    for (const v of diff.added) lines.push(`${label} added: ${v.name} ${v.type}${v.shape ? describeShape(v.shape) : ''}`);
    for (const v of diff.removed) lines.push(`${label} removed: ${v.name}`);
    for (const v of diff.changed) lines.push(`${label} ${v.name}: ${v.changes.join(', ')}`);
    if (diff.reordered) lines.push(`${label}s reordered`);
  }
  for (const o of c.opsets) lines.push(`opset ${o.domain}: ${o.before ?? 'none'} -> ${o.after ?? 'none'}`);
  for (const o of c.operators.added) lines.push(`operator added: ${o.domain}.${o.opType} x${o.after}`);
  for (const o of c.operators.removed) lines.push(`operator removed: ${o.domain}.${o.opType} (was x${o.before})`);
  for (const o of c.operators.changed) lines.push(`operator ${o.domain}.${o.opType}: ${o.before} -> ${o.after}`);
  const figures: [string, Delta][] = [
    ['parameters', c.parameters],
    ['parameter bytes', c.parameterBytes],
    ['nodes', c.nodeCount],
    ['initializers', c.initializerCount],
    ['file size', c.fileSize],
    ['IR version', c.irVersion],
  ];
  for (const [label, d] of figures) if (d.delta !== 0) lines.push(`${label}: ${d.before} -> ${d.after} (${signed(d.delta)})`);
  for (const d of c.parametersByDtype) lines.push(`${d.dtype} bytes: ${d.bytes.before} -> ${d.bytes.after} (${signed(d.bytes.delta)})`);
  if (c.weights !== undefined && c.weightsSummary !== undefined) lines.push(...describeWeights(c.weights, c.weightsSummary));
  return lines;
}

/** A difference figure in 3 significant digits (integers whole): `0.00123`, `1.5e-7`, `0`, `12345`. */
export function formatDifference(n: number | null): string {
  if (n === null) return '-';
  if (n === 0) return '0';
  if (Number.isSafeInteger(n)) return String(n);
  return Number(n.toPrecision(3)).toString();
}

function describeWeights(weights: WeightChange[], s: WeightsSummary): string[] {
  const lines: string[] = [];
  if (s.changed + s.added + s.removed > 0) {
    lines.push(`weights: ${s.changed} of ${s.compared} tensors with the same name changed, ${s.added} added, ${s.removed} removed`);
  }
  const type = (dtype: string, shape: number[]): string => `${dtype}[${shape.join(',')}]`;
  for (const w of weights) {
    if (w.change === 'added') lines.push(`weight added: ${w.name} ${type(w.dtype, w.shape)}`);
    else if (w.change === 'removed') lines.push(`weight removed: ${w.name} ${type(w.dtype, w.shape)}`);
    else if (w.before) lines.push(`weight ${w.name}: ${type(w.before.dtype, w.before.shape)} -> ${type(w.dtype, w.shape)}`);
    else
      lines.push(
        `weight ${w.name} ${type(w.dtype, w.shape)}: ${
          w.maxAbsDiff === null
            ? (w.note ?? 'values differ')
            : `max abs diff ${formatDifference(w.maxAbsDiff)}, max rel diff ${formatDifference(w.maxRelDiff)}, ${w.changedElements} of ${w.elements} elements${w.note ? ` (${w.note})` : ''}`
        }`,
      );
  }
  for (const e of s.errors) lines.push(`weight ${e.name}: not compared: ${e.message}`);
  return lines;
}
