import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { DEFAULT_DRIFT_THRESHOLD, driftedFeatures, featureLabel, parseModelDrift } from '../serve/driftReport';
import type { DriftState } from './evaluateGates';

export const DRIFT_DIR = path.join('.mlw', 'drift');

/**
 * The drift state recorded for a registered model: `<workspace>/.mlw/drift/<name>.json`, a server's
 * GET /v2/models/{m}/stats answer (its drift section, see serve/driftReport.ts), judged as the monitor does
 * (PSI over the threshold with enough observed values).
 */
export async function readDriftState(workspace: string, name: string, threshold = DEFAULT_DRIFT_THRESHOLD): Promise<DriftState> {
  const rel = path.join(DRIFT_DIR, `${name}.json`);
  let text: string;
  try {
    text = await fsp.readFile(path.join(workspace, rel), 'utf8');
  } catch {
    return {
      recorded: false,
      why: `${rel} does not exist (mlw serve writes it while it serves the model with a reference profile, see --drift-dir)`,
    };
  }
  try {
    const drift = parseModelDrift(name, JSON.parse(text));
    if (!drift.reference) return { recorded: false, why: `${rel} has no reference profile to compare with` };
    const drifted = driftedFeatures(drift, threshold).map((f) => ({ feature: featureLabel(f), psi: f.psi ?? 0 }));
    return { recorded: true, file: rel, drifted, threshold, observed: drift.observed };
  } catch (e) {
    return { recorded: false, why: `${rel} cannot be read: ${(e as Error).message}` };
  }
}
