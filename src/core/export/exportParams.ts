/**
 * The parameters of an export to ONNX: parsed from what the user typed (the quick input or `mlw export`'s flags),
 * checked, and turned into the JSON document the export script reads. Pure: no file system, no processes.
 */
import * as path from 'node:path';
import { ExportError } from './exportError';

export const EXPORT_KINDS = ['torchscript', 'module', 'state-dict'] as const;
/**
 * torchscript: `torch.jit.load`; module: a whole pickled module (`torch.load(weights_only=False)`, which runs code from
 * the file); state-dict: a state dict loaded into a class from the workspace.
 */
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const EXPORT_DTYPES = ['float32', 'float16', 'float64', 'bfloat16', 'int64', 'int32', 'int8', 'uint8', 'bool'] as const;
export type ExportDtype = (typeof EXPORT_DTYPES)[number];

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

/** One sample input: random normal values for float dtypes, zeros otherwise. */
export interface InputSpec {
  shape: number[];
  dtype: ExportDtype;
}

/** A dimension left free in the ONNX model: `tensor` is an input or output name, or `*` for every input and output. */
export interface DynamicAxis {
  tensor: string;
  axis: number;
  label: string;
}

export interface ExportRequest {
  /** The .pt / .pth file (absolute). */
  file: string;
  kind: ExportKind;
  /** `module.path:ClassName`, importable from the workspace; for kind state-dict. */
  className?: string;
  /** Keyword arguments of the class's constructor. */
  kwargs?: Record<string, unknown>;
  inputs: InputSpec[];
  /** Default `input` (one input) or `input_0`, `input_1`, ... */
  inputNames?: string[];
  /** Default `output` (one output) or `output_0`, ...; extra outputs get `output_N`. */
  outputNames?: string[];
  dynamicAxes?: DynamicAxis[];
  /** Default 17. */
  opset?: number;
  /** The .onnx file to write (absolute). */
  output: string;
  /** Put first on sys.path (and PYTHONPATH), and the script's working directory. */
  workspace: string;
}

const bad = (message: string): ExportError => new ExportError('bad-parameter', message);

const CLASS_PATH = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;
const LABEL = /^[A-Za-z_][\w.-]*$/;

export function isExportKind(v: unknown): v is ExportKind {
  return typeof v === 'string' && (EXPORT_KINDS as readonly string[]).includes(v);
}

/**
 * Sample input shapes: `1,3,224,224`, several inputs separated by `;`, each optionally with a dtype
 * (`1,16:int64`; default float32). `x` also separates dimensions (`1x3x224x224`); brackets are ignored.
 */
export function parseInputShapes(text: string): InputSpec[] {
  const parts = text.split(';').map((p) => p.trim());
  if (!text.trim() || parts.some((p) => !p))
    throw bad(`input shapes: expected e.g. 1,3,224,224 (several inputs separated by ;), got "${text}"`);
  return parts.map((part) => {
    const colon = part.lastIndexOf(':');
    const dims = (colon < 0 ? part : part.slice(0, colon)).replace(/[[\]()\s]/g, '');
    const dtype =
      colon < 0
        ? 'float32'
        : part
            .slice(colon + 1)
            .trim()
            .toLowerCase();
    if (!(EXPORT_DTYPES as readonly string[]).includes(dtype))
      throw bad(`input dtype "${dtype}": expected one of ${EXPORT_DTYPES.join(', ')}`);
    const shape = dims === '' ? [] : dims.split(/[,x]/).map(Number);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0 || d > 1 << 24))
      throw bad(`input shape "${part}": dimensions are whole numbers separated by commas, e.g. 1,3,224,224`);
    return { shape, dtype: dtype as ExportDtype };
  });
}

export function formatInputShapes(inputs: InputSpec[]): string {
  return inputs.map((i) => `${i.shape.join(',')}${i.dtype === 'float32' ? '' : `:${i.dtype}`}`).join('; ');
}

/** Tensor names separated by commas; empty text gives an empty list. */
export function parseNames(text: string, what: string): string[] {
  if (!text.trim()) return [];
  const names = text.split(',').map((n) => n.trim());
  if (names.some((n) => !n || /\s/.test(n))) throw bad(`${what}: names are separated by commas and contain no spaces, got "${text}"`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw bad(`${what}: "${dup}" is named twice`);
  return names;
}

/**
 * Dynamic axes, e.g. `input:0=batch` (axis 0 of `input` is called batch), several separated by commas; without a
 * tensor name (`0=batch`) the axis is dynamic in every input and output.
 */
export function parseDynamicAxes(text: string): DynamicAxis[] {
  if (!text.trim()) return [];
  return text.split(',').map((item) => {
    const s = item.trim();
    const eq = s.lastIndexOf('=');
    const head = eq < 0 ? s : s.slice(0, eq);
    const label = eq < 0 ? '' : s.slice(eq + 1).trim();
    const colon = head.lastIndexOf(':');
    const tensor = colon < 0 ? '*' : head.slice(0, colon).trim();
    const axis = Number(head.slice(colon + 1).trim());
    if (eq < 0 || !tensor || !Number.isSafeInteger(axis) || axis < 0 || !LABEL.test(label))
      throw bad(`dynamic axis "${s}": expected NAME:AXIS=LABEL (e.g. input:0=batch) or AXIS=LABEL for every input and output`);
    return { tensor, axis, label };
  });
}

export function formatDynamicAxes(axes: DynamicAxis[]): string {
  return axes.map((a) => `${a.tensor === '*' ? '' : `${a.tensor}:`}${a.axis}=${a.label}`).join(', ');
}

/** `module.path:ClassName` (nested classes as `Outer.Inner`). */
export function parseClassName(text: string): string {
  const s = text.trim();
  if (!CLASS_PATH.test(s)) throw bad(`model class "${text}": expected module.path:ClassName, e.g. models.net:Net`);
  return s;
}

/** Constructor keyword arguments as a JSON object; empty text gives {}. */
export function parseKwargs(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(`constructor arguments: not JSON (${(e as Error).message}); expected an object such as {"num_classes": 10}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('constructor arguments: expected a JSON object such as {"num_classes": 10}');
  return value as Record<string, unknown>;
}

export function parseOpset(text: string): number {
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < MIN_OPSET || n > MAX_OPSET)
    throw bad(`opset "${text}": expected a whole number from ${MIN_OPSET} to ${MAX_OPSET}`);
  return n;
}

export function defaultInputNames(count: number): string[] {
  return count === 1 ? ['input'] : Array.from({ length: count }, (_, i) => `input_${i}`);
}

/** `NAME.onnx` beside the file (model.pt -> model.onnx). */
export function defaultOutputPath(file: string): string {
  const base = path.basename(file).replace(/\.(pt|pth)$/i, '');
  return path.join(path.dirname(file), `${base}.onnx`);
}

/** The request with its defaults filled in, checked as far as can be without the model. */
export function completeRequest(
  r: ExportRequest,
): Required<Omit<ExportRequest, 'className' | 'kwargs'>> & Pick<ExportRequest, 'className' | 'kwargs'> {
  if (!isExportKind(r.kind)) throw bad(`kind "${String(r.kind)}": expected ${EXPORT_KINDS.join(', ')}`);
  if (r.kind === 'state-dict') {
    if (!r.className) throw bad('a state dict needs its model class, as module.path:ClassName');
    parseClassName(r.className);
  }
  if (!r.inputs.length) throw bad('at least one sample input shape is needed, e.g. 1,3,224,224');
  const inputNames = r.inputNames?.length ? r.inputNames : defaultInputNames(r.inputs.length);
  if (inputNames.length !== r.inputs.length)
    throw bad(`${inputNames.length} input names (${inputNames.join(', ')}) for ${r.inputs.length} input shapes`);
  const outputNames = r.outputNames ?? [];
  const clash = outputNames.find((n) => inputNames.includes(n));
  if (clash !== undefined) throw bad(`"${clash}" names both an input and an output`);
  const dynamicAxes = r.dynamicAxes ?? [];
  for (const a of dynamicAxes) {
    const i = inputNames.indexOf(a.tensor);
    if (i >= 0 && a.axis >= r.inputs[i].shape.length)
      throw bad(`dynamic axis ${a.tensor}:${a.axis}: ${a.tensor} has ${r.inputs[i].shape.length} dimensions`);
    if (a.tensor !== '*' && i < 0 && outputNames.length && !outputNames.includes(a.tensor))
      throw bad(`dynamic axis on "${a.tensor}": not an input (${inputNames.join(', ')}) nor an output (${outputNames.join(', ')})`);
  }
  const opset = r.opset ?? DEFAULT_OPSET;
  if (!Number.isSafeInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw bad(`opset ${opset}: expected ${MIN_OPSET} to ${MAX_OPSET}`);
  if (!/\.onnx$/i.test(r.output)) throw bad(`output ${r.output}: expected a .onnx file`);
  return { ...r, inputNames, outputNames, dynamicAxes, opset };
}

/** The JSON document the export script reads: the completed request, writing to `tempOutput`. */
export function scriptParams(r: ExportRequest, tempOutput: string): Record<string, unknown> {
  const c = completeRequest(r);
  return {
    file: c.file,
    kind: c.kind,
    className: c.className,
    kwargs: c.kwargs ?? {},
    inputs: c.inputs,
    inputNames: c.inputNames,
    outputNames: c.outputNames,
    dynamicAxes: c.dynamicAxes,
    opset: c.opset,
    output: tempOutput,
    workspace: c.workspace,
  };
}
