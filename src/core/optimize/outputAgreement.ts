/**
 * How closely a variant's outputs follow the original's on the same inputs: per output, the max absolute and
 * relative difference, the cosine similarity of the flattened values, and for classifier-like outputs (2-D, last
 * dim > 1) the share of rows whose arg-max class is the same.
 */
import { decodeFloat16 } from '../onnx/float16';
import type { WireTensor } from './sessionWorkerProtocol';

/** |a − b| / max(|a|, REL_FLOOR): values of the original smaller than this count as this. */
export const REL_FLOOR = 1e-6;

export interface OutputAgreement {
  name: string;
  elements: number;
  maxAbsDiff: number;
  maxRelDiff: number;
  /** 1 when both are all zeros. */
  cosine: number;
  /** Share of rows with the same arg-max (0..1), for 2-D outputs with last dim > 1; null otherwise. */
  top1: number | null;
  /** Elements where one side is NaN or ±Infinity and the other is not the same. */
  nonFiniteMismatches: number;
}

/** The agreement of all outputs: worst of each figure. */
export interface Agreement {
  maxAbsDiff: number;
  maxRelDiff: number;
  cosine: number;
  top1: number | null;
  outputs: OutputAgreement[];
}

export function numbersOf(t: Pick<WireTensor, 'type' | 'data'>): Float64Array {
  const d = t.data as ArrayLike<number | bigint | string>;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    out[i] = t.type === 'float16' ? decodeFloat16(v as number) : typeof v === 'bigint' ? Number(v) : Number(v);
  }
  return out;
}

/** Arg-max of each row of a 2-D [rows, classes] array. */
export function argmaxRows(values: Float64Array, classes: number): number[] {
  const rows = Math.floor(values.length / classes);
  const out = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

export const isClassifierLike = (dims: readonly number[]): boolean => dims.length === 2 && dims[1] > 1;

/** Accumulates one output over several evaluation batches. */
export class OutputAgreementAccumulator {
  private elements = 0;
  private maxAbs = 0;
  private maxRel = 0;
  private dot = 0;
  private normA = 0;
  private normB = 0;
  private rows = 0;
  private sameRows = 0;
  private classifier = true;
  private nonFinite = 0;

  constructor(readonly name: string) {}

  add(reference: WireTensor, candidate: WireTensor): void {
    if (reference.dims.join(',') !== candidate.dims.join(','))
      throw new Error(`output '${this.name}' has shape [${candidate.dims.join(',')}], the original's is [${reference.dims.join(',')}]`);
    const a = numbersOf(reference);
    const b = numbersOf(candidate);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (!Object.is(x, y)) this.nonFinite++;
        continue;
      }
      const diff = Math.abs(x - y);
      if (diff > this.maxAbs) this.maxAbs = diff;
      const rel = diff / Math.max(Math.abs(x), REL_FLOOR);
      if (rel > this.maxRel) this.maxRel = rel;
      this.dot += x * y;
      this.normA += x * x;
      this.normB += y * y;
    }
    this.elements += a.length;
    if (isClassifierLike(reference.dims)) {
      const ra = argmaxRows(a, reference.dims[1]);
      const rb = argmaxRows(b, reference.dims[1]);
      this.rows += ra.length;
      for (let r = 0; r < ra.length; r++) if (ra[r] === rb[r]) this.sameRows++;
    } else this.classifier = false;
  }

  result(): OutputAgreement {
    const cosine =
      this.normA === 0 && this.normB === 0 ? 1 : this.normA === 0 || this.normB === 0 ? 0 : this.dot / Math.sqrt(this.normA * this.normB);
    return {
      name: this.name,
      elements: this.elements,
      maxAbsDiff: this.maxAbs,
      maxRelDiff: this.maxRel,
      cosine: Math.min(1, cosine),
      top1: this.classifier && this.rows > 0 ? this.sameRows / this.rows : null,
      nonFiniteMismatches: this.nonFinite,
    };
  }
}

export function combineAgreement(outputs: OutputAgreement[]): Agreement {
  const top1s = outputs.flatMap((o) => (o.top1 === null ? [] : [o.top1]));
  const worstNonFinite = outputs.some((o) => o.nonFiniteMismatches > 0);
  return {
    maxAbsDiff: worstNonFinite ? Number.POSITIVE_INFINITY : Math.max(0, ...outputs.map((o) => o.maxAbsDiff)),
    maxRelDiff: worstNonFinite ? Number.POSITIVE_INFINITY : Math.max(0, ...outputs.map((o) => o.maxRelDiff)),
    cosine: Math.min(1, ...outputs.map((o) => o.cosine)),
    top1: top1s.length ? Math.min(...top1s) : null,
    outputs,
  };
}
