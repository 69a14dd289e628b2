/** WeightsFileSummary: what a PyTorch checkpoint or a safetensors file holds, as one small JSON-able object. */

export interface WeightTensor {
  /** The state-dict key; nested containers joined by `.` (`model.conv1.weight`, `optimizer.state.0.exp_avg`). */
  name: string;
  /** `float32`, `float16`, `bfloat16`, `int64`, `bool`, `float8_e4m3fn`, ... (torch's names). */
  dtype: string;
  shape: number[];
  elements: number;
  /** elements × element size (what the tensor's values take, not its storage). */
  bytes: number;
}

export interface DtypeTotal {
  dtype: string;
  tensors: number;
  elements: number;
  bytes: number;
}

export interface WeightsFileSummary {
  format: 'safetensors' | 'pytorch';
  path: string;
  fileSize: number;
  /** In file order (safetensors: by data offset; PyTorch: as the pickle lists them). */
  tensors: WeightTensor[];
  parameterCount: number;
  parameterBytes: number;
  /** Per dtype, largest bytes first. */
  byDtype: DtypeTotal[];
  /** safetensors `__metadata__`; for PyTorch, the checkpoint's scalar entries (`epoch`, `optimizer.param_groups.0.lr`). */
  metadata: { key: string; value: string }[];
  /** PyTorch: callables the pickle names that are not a known container or tensor rebuild (recorded, never imported). */
  globals: string[];
  /** Things that are odd but did not stop the summary (a tensor past its storage, a size that does not match). */
  warnings: string[];
}

const ELEMENT_BYTES: Record<string, number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  uint8: 1,
  bool: 1,
  complex128: 16,
  complex64: 8,
  complex32: 4,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
  float8_e4m3fnuz: 1,
  float8_e5m2fnuz: 1,
  qint8: 1,
  quint8: 1,
  qint32: 4,
  quint4x2: 1,
  quint2x4: 1,
};

/** Bytes per element of a dtype by torch's name; undefined for names it does not know. */
export const elementBytes = (dtype: string): number | undefined => ELEMENT_BYTES[dtype];

/** Product of the dims; NaN when a dim is not a non-negative safe integer or the product overflows. */
export function shapeElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return Number.NaN;
    n *= d;
  }
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/** The totals of a summary from its tensors. */
export function totals(tensors: readonly WeightTensor[]): Pick<WeightsFileSummary, 'parameterCount' | 'parameterBytes' | 'byDtype'> {
  const byDtype = new Map<string, DtypeTotal>();
  let parameterCount = 0;
  let parameterBytes = 0;
  for (const t of tensors) {
    const elements = Number.isNaN(t.elements) ? 0 : t.elements;
    const bytes = Number.isNaN(t.bytes) ? 0 : t.bytes;
    parameterCount += elements;
    parameterBytes += bytes;
    let d = byDtype.get(t.dtype);
    if (d === undefined) byDtype.set(t.dtype, (d = { dtype: t.dtype, tensors: 0, elements: 0, bytes: 0 }));
    d.tensors++;
    d.elements += elements;
    d.bytes += bytes;
  }
  return {
    parameterCount,
    parameterBytes,
    byDtype: [...byDtype.values()].sort((a, b) => b.bytes - a.bytes || (a.dtype < b.dtype ? -1 : 1)),
  };
}
