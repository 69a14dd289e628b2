/**
 * Running per-feature statistics of a model's inputs, compared with a reference profile.
 *
 * Every numeric input gets count/mean/std/min/max per feature. With a reference profile the monitor also keeps
 * per-feature bin counts on the reference's edges (for PSI) and a reservoir sample (for KS). Counts are cumulative
 * since the server started (or since reset()).
 *
 * Cost control: each observe() looks at no more than `elementBudget` values per input, taking evenly strided whole
 * vectors when a request is larger, so large tensors do not slow the server down. The server calls observe() after
 * the response has been sent.
 */
import { decodeFloat16 } from '../onnx/float16';
import type { HostTensor } from './datatypes';
import { featureLayout, type DriftProfile, type FeatureLayout, type FeatureProfile, type InputProfile } from './driftProfile';
import { binIndex, ksStatistic, psi, Reservoir, xorshift } from './driftStats';
import type { TensorSpec } from './inferRequest';

export interface FeatureStats {
  index: number;
  name?: string;
  count: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** Null without a reference or before any observation. */
  psi: number | null;
  ks: number | null;
  /** The reference profile's figures for this feature (absent without a reference). */
  reference_count?: number;
  reference_mean?: number | null;
  reference_std?: number | null;
}

export interface InputStats {
  name: string;
  datatype: string;
  mode: string | null;
  /** Vectors (rows in element mode) looked at. */
  observed: number;
  /** Requests whose layout did not match the reference's and were left out. */
  skipped: number;
  reference: boolean;
  /** Rows (samples) in the reference data; absent without a reference. */
  reference_rows?: number;
  features: FeatureStats[];
}

export interface MonitorOptions {
  elementBudget?: number;
  reservoirSize?: number;
}

const NUMERIC = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64']);

class InputTracker {
  layout: FeatureLayout | undefined;
  observed = 0;
  skipped = 0;
  count!: Float64Array;
  mean!: Float64Array;
  m2!: Float64Array;
  min!: Float64Array;
  max!: Float64Array;
  bins: Float64Array[] = [];
  reservoirs: Reservoir[] = [];

  constructor(
    readonly spec: TensorSpec,
    readonly reference: InputProfile | undefined,
    private readonly options: Required<MonitorOptions>,
  ) {
    if (reference) this.init({ mode: reference.mode, width: reference.width, features: reference.features.length });
  }

  private init(layout: FeatureLayout): void {
    this.layout = layout;
    const n = layout.features;
    this.count = new Float64Array(n);
    this.mean = new Float64Array(n);
    this.m2 = new Float64Array(n);
    this.min = new Float64Array(n).fill(Infinity);
    this.max = new Float64Array(n).fill(-Infinity);
    if (this.reference) {
      const random = xorshift(0x2545f491);
      this.bins = this.reference.features.map((f) => new Float64Array(f.edges.length + 1));
      this.reservoirs = this.reference.features.map(() => new Reservoir(this.options.reservoirSize, random));
    }
  }

  reset(): void {
    this.observed = 0;
    this.skipped = 0;
    if (this.layout) this.init(this.layout);
  }

  observe(t: HostTensor): void {
    const layout = featureLayout(t.shape.slice(1));
    if (!this.layout) this.init(layout);
    const mine = this.layout!;
    if (layout.mode !== mine.mode || layout.width !== mine.width) {
      this.skipped++;
      return;
    }
    const data = t.data;
    const at: (i: number) => number =
      t.datatype === 'FP16'
        ? (i) => decodeFloat16((data as Uint16Array)[i])
        : t.datatype === 'INT64' || t.datatype === 'UINT64'
          ? (i) => Number((data as BigInt64Array)[i])
          : (i) => (data as Float64Array)[i];
    const width = mine.width;
    const vectors = width === 0 ? 0 : data.length / width;
    const stride = Math.max(1, Math.ceil((vectors * width) / this.options.elementBudget));
    const features = mine.features;
    const ref = this.reference?.features;
    for (let v = 0; v < vectors; v += stride) {
      const base = v * width;
      for (let f = 0; f < features; f++) {
        const x = at(base + f);
        if (x - x !== 0) continue; // NaN and ±Infinity stay out of the statistics
        const c = ++this.count[f];
        const delta = x - this.mean[f];
        this.mean[f] += delta / c;
        this.m2[f] += delta * (x - this.mean[f]);
        if (x < this.min[f]) this.min[f] = x;
        if (x > this.max[f]) this.max[f] = x;
        if (ref) {
          this.bins[f][binIndex(ref[f].edges, x)]++;
          this.reservoirs[f].add(x);
        }
      }
      this.observed++;
    }
  }

  stats(): InputStats {
    const features: FeatureStats[] = [];
    const n = this.layout?.features ?? 0;
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    for (let f = 0; f < n; f++) {
      const c = this.count[f];
      const ref: FeatureProfile | undefined = this.reference?.features[f];
      features.push({
        index: f,
        ...(ref?.name !== undefined ? { name: ref.name } : {}),
        count: c,
        mean: c ? this.mean[f] : null,
        std: c ? Math.sqrt(this.m2[f] / c) : null,
        min: c ? this.min[f] : null,
        max: c ? this.max[f] : null,
        psi: ref && c ? num(psi(ref.fractions, this.bins[f])) : null,
        ks: ref && c ? num(ksStatistic(ref.sample, this.reservoirs[f].sorted())) : null,
        ...(ref ? { reference_count: ref.count, reference_mean: num(ref.mean), reference_std: num(ref.std) } : {}),
      });
    }
    return {
      name: this.spec.name,
      datatype: this.spec.datatype,
      mode: this.layout?.mode ?? null,
      observed: this.observed,
      skipped: this.skipped,
      reference: this.reference !== undefined,
      ...(this.reference ? { reference_rows: this.reference.rows } : {}),
      features,
    };
  }
}

export class DriftMonitor {
  private readonly trackers: (InputTracker | undefined)[];
  /** Problems mapping the profile to the model, for the log. */
  readonly warnings: string[] = [];

  constructor(inputs: readonly TensorSpec[], profile?: DriftProfile, options: MonitorOptions = {}) {
    const opts = { elementBudget: options.elementBudget ?? 8192, reservoirSize: options.reservoirSize ?? 1000 };
    const refs = profile ? this.mapProfile(inputs, profile) : new Map<string, InputProfile>();
    this.trackers = inputs.map((s) => (NUMERIC.has(s.datatype) ? new InputTracker(s, refs.get(s.name), opts) : undefined));
  }

  get hasReference(): boolean {
    return this.trackers.some((t) => t?.reference);
  }

  private mapProfile(inputs: readonly TensorSpec[], profile: DriftProfile): Map<string, InputProfile> {
    const out = new Map<string, InputProfile>();
    const names = inputs.map((s) => s.name);
    for (const [key, ref] of Object.entries(profile.inputs)) {
      if (names.includes(key)) out.set(key, ref);
      else if (key === '*' && names.length > 0) out.set(names[0], ref);
      else if (Object.keys(profile.inputs).length === 1 && names.length === 1) {
        this.warnings.push(`profile input '${key}' used for the model's only input '${names[0]}'`);
        out.set(names[0], ref);
      } else this.warnings.push(`profile input '${key}' matches no model input (${names.join(', ')})`);
    }
    for (const [name, ref] of out) {
      const spec = inputs.find((s) => s.name === name)!;
      if (!NUMERIC.has(spec.datatype)) this.warnings.push(`input '${name}' is ${spec.datatype}: no drift statistics`);
      else if (spec.shape.length > 1 && spec.shape.slice(1).every((d) => d >= 0)) {
        const layout = featureLayout(spec.shape.slice(1));
        if (layout.mode !== ref.mode || layout.width !== ref.width) {
          this.warnings.push(
            `input '${name}': profile layout ${ref.mode}/${ref.width} differs from the model's ${layout.mode}/${layout.width}`,
          );
        }
      }
    }
    return out;
  }

  /** Adds one request's inputs (in the model's input order). */
  observe(inputs: readonly HostTensor[]): void {
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i];
      if (t.shape.length === 0) continue;
      this.trackers[i]?.observe(t);
    }
  }

  reset(): void {
    for (const t of this.trackers) t?.reset();
  }

  stats(): InputStats[] {
    return this.trackers.filter((t): t is InputTracker => t !== undefined).map((t) => t.stats());
  }
}
