/**
 * The drift of one served model as the monitor shows it: per input feature, PSI and KS against the reference
 * profile and the observed and reference moments. Plain data and two pure rules, with no imports, so the
 * monitor webview uses them as they are (src/shared/serveProtocol.ts re-exports the types).
 */

/** One input feature's drift against the reference profile (from GET /v2/models/{name}/stats). */
export interface DriftFeatureRow {
  input: string;
  /** Position of the feature in a row (element mode) or along the last axis. */
  index: number;
  /** Column name from the reference data, when it had one (CSV header). */
  name?: string;
  /** Population stability index; null before enough values or without a reference. */
  psi: number | null;
  /** Two-sample Kolmogorov-Smirnov statistic against the reference sample. */
  ks: number | null;
  /** Values observed by the server since it started. */
  count: number;
  mean: number | null;
  std: number | null;
  /** Values of this feature in the reference data; null without a reference. */
  referenceCount: number | null;
  referenceMean: number | null;
  referenceStd: number | null;
}

/** Drift of one served model. */
export interface ModelDrift {
  model: string;
  /** The server has a reference profile for at least one input of the model. */
  reference: boolean;
  /** Rows the server looked at (max over inputs). */
  observed: number;
  /** Rows in the reference data (max over inputs); null without a reference. */
  referenceRows: number | null;
  features: DriftFeatureRow[];
  /** Things the user should know, e.g. requests left out because their layout differs from the reference. */
  notes: string[];
}

/** The feature's label: its column name, else input[index]. */
export function featureLabel(row: Pick<DriftFeatureRow, 'input' | 'index' | 'name'>): string {
  return row.name ?? `${row.input}[${row.index}]`;
}

/** Whether a feature counts as drifted: PSI over the threshold with at least `minCount` observed values. */
export function isDriftedFeature(f: Pick<DriftFeatureRow, 'psi' | 'count'>, threshold: number, minCount: number): boolean {
  return f.psi !== null && f.psi > threshold && f.count >= minCount;
}
