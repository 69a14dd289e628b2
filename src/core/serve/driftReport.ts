/**
 * The drift part of a server's GET /v2/models/{name}/stats answer, read back for the monitor: validation of the
 * (untrusted: any base URL) JSON, the rows over a PSI threshold, and the warning text. Pure functions, no I/O.
 */
import * as path from 'node:path';
import { featureLabel, isDriftedFeature, type DriftFeatureRow, type ModelDrift } from './modelDrift';

/** PSI above 0.2 is the usual rule of thumb for a significant shift (0.1-0.2 moderate). */
export const DEFAULT_DRIFT_THRESHOLD = 0.2;
/** Below this many observed values a feature's PSI is too noisy to judge (one request fills one bin). */
export const MIN_DRIFT_COUNT = 50;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** Reads the drift section of a /stats answer; throws when the answer is not an mlw_model_stats object. */
export function parseModelDrift(model: string, raw: unknown): ModelDrift {
  if (!isObj(raw) || !isObj(raw.drift) || !Array.isArray(raw.drift.inputs)) {
    throw new Error(`the /stats answer for model '${model}' has no drift section`);
  }
  const features: DriftFeatureRow[] = [];
  const notes: string[] = [];
  let observed = 0;
  let referenceRows: number | null = null;
  let anyReference = raw.drift.reference === true;
  for (const input of raw.drift.inputs.slice(0, 64)) {
    if (!isObj(input) || typeof input.name !== 'string' || !Array.isArray(input.features)) continue;
    observed = Math.max(observed, count(input.observed));
    const hasRef = input.reference === true;
    anyReference ||= hasRef;
    if (hasRef && typeof input.reference_rows === 'number') referenceRows = Math.max(referenceRows ?? 0, count(input.reference_rows));
    const skipped = count(input.skipped);
    if (skipped > 0)
      notes.push(`${skipped} request(s) to input '${input.name}' were left out: their row layout differs from the reference's`);
    if (!hasRef) continue; // without a reference a feature has no PSI/KS to show
    for (const f of input.features.slice(0, 256)) {
      if (!isObj(f) || typeof f.index !== 'number') continue;
      features.push({
        input: input.name,
        index: f.index,
        ...(typeof f.name === 'string' ? { name: f.name } : {}),
        psi: numOrNull(f.psi),
        ks: numOrNull(f.ks),
        count: count(f.count),
        mean: numOrNull(f.mean),
        std: numOrNull(f.std),
        referenceCount: typeof f.reference_count === 'number' ? count(f.reference_count) : null,
        referenceMean: numOrNull(f.reference_mean),
        referenceStd: numOrNull(f.reference_std),
      });
    }
  }
  return { model, reference: anyReference, observed, referenceRows, features, notes };
}

export { featureLabel };

/** Rows over the threshold that have enough observed values, worst first. */
export function driftedFeatures(drift: ModelDrift, threshold: number, minCount = MIN_DRIFT_COUNT): DriftFeatureRow[] {
  return drift.features.filter((f) => isDriftedFeature(f, threshold, minCount)).sort((a, b) => (b.psi ?? 0) - (a.psi ?? 0));
}

/** "Input drift on model m: feature f PSI 0.31 > 0.2" (+ "and N more"). */
export function driftWarning(model: string, drifted: readonly DriftFeatureRow[], threshold: number): string {
  const worst = drifted[0];
  const more = drifted.length > 1 ? ` (and ${drifted.length - 1} more feature${drifted.length > 2 ? 's' : ''})` : '';
  return `Input drift on model ${model}: feature ${featureLabel(worst)} PSI ${worst.psi!.toFixed(2)} > ${threshold}${more}`;
}

/** Model names a server reports in its Prometheus text (mlw_model_ready{model="..."}). */
export function modelNamesFromMetrics(samples: readonly { name: string; labels: Record<string, string> }[]): string[] {
  const names = new Set<string>();
  for (const s of samples) if (s.name === 'mlw_model_ready' && s.labels.model) names.add(s.labels.model);
  return [...names].sort();
}

/**
 * Where the server looks for a model's drift profile when none is given on the command line:
 * `<dir>/<file name without .onnx>.profile.json` (models/iris.onnx -> models/iris.profile.json).
 */
export function sidecarProfilePath(modelPath: string): string {
  return path.join(path.dirname(modelPath), `${path.basename(modelPath).replace(/\.onnx$/i, '')}.profile.json`);
}
