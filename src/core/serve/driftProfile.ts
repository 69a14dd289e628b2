/**
 * Reference profiles for drift monitoring: what `mlw profile` writes and `mlw serve --reference` reads.
 *
 * Features: a row is one slice along dim 0. When a row holds at most MAX_FEATURES elements, every element of the
 * flattened row is a feature ("element" mode). Larger rows use the index along the last axis as the feature
 * ("lastAxis" mode; every vector along the last axis contributes), keeping the first MAX_FEATURES positions.
 */
import { binEdges, binFractions, quantileSketch, RunningMoments } from './driftStats';

export const MAX_FEATURES = 256;
export const PROFILE_FORMAT = 'mlw-drift-profile';

export type FeatureMode = 'element' | 'lastAxis';

export interface FeatureLayout {
  mode: FeatureMode;
  /** Elements per vector: the row size in element mode, the last dim in lastAxis mode. */
  width: number;
  /** Tracked features: min(width, MAX_FEATURES). */
  features: number;
}

export interface FeatureProfile {
  index: number;
  name?: string;
  count: number;
  /** Non-finite values left out of the statistics. */
  missing: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Interior bin edges from the reference quantiles, strictly increasing. */
  edges: number[];
  /** Reference fraction per bin: edges.length + 1 values. */
  fractions: number[];
  /** Ascending reference values: all of them, or evenly spaced quantiles when there are more than the sample size. */
  sample: number[];
}

export interface InputProfile {
  mode: FeatureMode;
  width: number;
  /** Rows (samples) in the reference data. */
  rows: number;
  features: FeatureProfile[];
}

export interface DriftProfile {
  format: typeof PROFILE_FORMAT;
  version: 1;
  bins: number;
  createdAt: string;
  source?: string;
  /** By model input name; the key "*" stands for the model's first input. */
  inputs: Record<string, InputProfile>;
}

/** One input's reference data: shape[0] is the number of samples. */
export interface SampleSet {
  shape: number[];
  data: ArrayLike<number>;
  /** Names of the features (e.g. CSV columns), by feature index. */
  featureNames?: string[];
}

export interface ProfileOptions {
  bins?: number;
  /** Reference values kept per feature for KS (default 1000). */
  sampleSize?: number;
  source?: string;
}

/** The feature layout of rows of the given shape (the shape without dim 0). */
export function featureLayout(rowShape: readonly number[]): FeatureLayout {
  let size = 1;
  for (const d of rowShape) size *= d;
  if (size <= MAX_FEATURES) return { mode: 'element', width: size, features: size };
  const last = rowShape[rowShape.length - 1];
  return { mode: 'lastAxis', width: last, features: Math.min(last, MAX_FEATURES) };
}

/** Builds a profile from reference samples keyed by input name ("*" for a model's first input). */
export function buildProfile(samples: Record<string, SampleSet>, options: ProfileOptions = {}): DriftProfile {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 2 || bins > 1000) throw new Error(`bins must be an integer in [2, 1000], got ${bins}`);
  const sampleSize = options.sampleSize ?? 1000;
  const inputs: Record<string, InputProfile> = {};
  for (const [name, set] of Object.entries(samples)) {
    if (set.shape.length === 0) throw new Error(`input '${name}': samples need at least one dimension (the sample axis)`);
    const layout = featureLayout(set.shape.slice(1));
    const total = set.data.length;
    if (layout.width === 0 || total % layout.width !== 0)
      throw new Error(`input '${name}': ${total} values do not fill rows of shape [${set.shape.slice(1).join(',')}]`);
    const vectors = total / layout.width;
    const features: FeatureProfile[] = [];
    for (let f = 0; f < layout.features; f++) {
      const values: number[] = [];
      let missing = 0;
      const moments = new RunningMoments();
      for (let v = 0; v < vectors; v++) {
        const x = Number(set.data[v * layout.width + f]);
        if (!Number.isFinite(x)) {
          missing++;
          continue;
        }
        values.push(x);
        moments.add(x);
      }
      const sorted = Float64Array.from(values).sort();
      const edges = binEdges(sorted, bins);
      features.push({
        index: f,
        ...(set.featureNames?.[f] !== undefined ? { name: set.featureNames[f] } : {}),
        count: moments.count,
        missing,
        mean: moments.count ? moments.mean : NaN,
        std: moments.std,
        min: moments.count ? moments.min : NaN,
        max: moments.count ? moments.max : NaN,
        edges,
        fractions: binFractions(sorted, edges),
        sample: quantileSketch(sorted, sampleSize),
      });
    }
    inputs[name] = { mode: layout.mode, width: layout.width, rows: set.shape[0], features };
  }
  return {
    format: PROFILE_FORMAT,
    version: 1,
    bins,
    createdAt: new Date().toISOString(),
    ...(options.source ? { source: options.source } : {}),
    inputs,
  };
}

/** JSON text of a profile: non-finite statistics (an all-missing feature) are written as null. */
export function profileToJson(profile: DriftProfile): string {
  return JSON.stringify(profile, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1);
}

/** Checks an untrusted parsed profile.json and returns it typed. Throws with the first problem found. */
export function parseProfile(json: unknown, where = 'profile'): DriftProfile {
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  const p = json as Partial<DriftProfile>;
  if (typeof p !== 'object' || p === null || p.format !== PROFILE_FORMAT)
    fail(`not an ML Workbench drift profile (format must be "${PROFILE_FORMAT}")`);
  if (p.version !== 1) fail(`unsupported version ${String(p.version)}`);
  if (typeof p.inputs !== 'object' || p.inputs === null) fail('"inputs" must be an object');
  for (const [name, input] of Object.entries(p.inputs!)) {
    if (input.mode !== 'element' && input.mode !== 'lastAxis') fail(`input '${name}': bad mode`);
    if (!Number.isInteger(input.width) || input.width < 1) fail(`input '${name}': bad width`);
    if (!Array.isArray(input.features)) fail(`input '${name}': "features" must be an array`);
    for (const f of input.features) {
      const isNums = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'number');
      if (!isNums(f.edges) || !isNums(f.fractions) || !isNums(f.sample))
        fail(`input '${name}' feature ${f.index}: edges, fractions and sample must be number arrays`);
      if (f.fractions.length !== f.edges.length + 1) fail(`input '${name}' feature ${f.index}: needs edges.length + 1 fractions`);
      for (const k of ['mean', 'std', 'min', 'max'] as const) if (f[k] === null) (f as unknown as Record<string, number>)[k] = NaN;
    }
  }
  return p as DriftProfile;
}
