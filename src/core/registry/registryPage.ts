/**
 * The registry page's data: each registered model with its versions, alias history and the gates' current
 * outcome for the candidate version against the champion (what `mlw registry promote` would decide now).
 * `registryModelView` is pure; `readRegistryPage` reads the workspace (registry files, mlw.yaml, drift state).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { aliasLineage } from './aliasMoves';
import { readDriftState } from './driftState';
import { evaluateGates, type DriftState } from './evaluateGates';
import type { Gate } from './parseGate';
import { readGates } from './registryConfig';
import { RegistryStore } from './RegistryStore';
import { CHALLENGER, CHAMPION, type ModelVersion, type RegisteredModel } from './registryTypes';
import type { RegistryEvaluationView, RegistryGatesView, RegistryModelView, RegistryPageView } from './registryPageTypes';

/** The version the page judges: the challenger, else the newest version that is not the champion. */
export function candidateVersion(model: RegisteredModel): { version: number | null; why: string } {
  const champion = model.aliases[CHAMPION];
  const challenger = model.aliases[CHALLENGER];
  if (challenger !== undefined && challenger !== champion) return { version: challenger, why: 'challenger alias' };
  const others = model.versions.map((v) => v.version).filter((v) => v !== champion);
  if (!others.length) return { version: null, why: champion === undefined ? 'no versions' : 'every version is the champion' };
  return { version: Math.max(...others), why: 'newest version that is not the champion' };
}

const evaluationsOf = (v: ModelVersion): RegistryEvaluationView[] =>
  (
    (v as { evaluations?: Array<{ data: { path: string; sha256: string }; at: string; metrics: Record<string, number> }> }).evaluations ??
    []
  ).map((e) => ({ data: e.data.path, sha256: e.data.sha256, at: e.at, metrics: { ...e.metrics } }));

/** The page's view of one model; `gates` is the parsed gates of mlw.yaml, or the error reading them. */
export function registryModelView(model: RegisteredModel, gates: Gate[] | { error: string }, drift: DriftState): RegistryModelView {
  const candidate = candidateVersion(model);
  const championNumber = model.aliases[CHAMPION];
  const champion = model.versions.find((v) => v.version === championNumber);
  const judged = model.versions.find((v) => v.version === candidate.version);
  const gatesView: RegistryGatesView = {
    candidate: candidate.version,
    why: candidate.why,
    champion: champion?.version ?? null,
    declared: 'error' in gates ? [] : gates.map((g) => g.text),
    results: 'error' in gates || !judged ? [] : evaluateGates(gates, judged, champion, drift),
    ...('error' in gates ? { error: gates.error } : {}),
  };
  const aliasesOf = (n: number) =>
    Object.entries(model.aliases)
      .filter(([, v]) => v === n)
      .map(([a]) => a)
      .sort((a, b) => (a === CHAMPION ? -1 : b === CHAMPION ? 1 : a.localeCompare(b)));
  return {
    name: model.name,
    aliases: { ...model.aliases },
    versions: [...model.versions]
      .sort((a, b) => b.version - a.version)
      .map((v) => ({
        version: v.version,
        aliases: aliasesOf(v.version),
        registeredAt: v.registeredAt,
        registeredBy: v.registeredBy,
        runId: v.source.runId,
        path: v.path,
        sha256: v.sha256,
        sizeBytes: v.sizeBytes,
        metrics: { ...v.metrics },
        benchmark: v.benchmark ? { p50_ms: v.benchmark.p50_ms, p99_ms: v.benchmark.p99_ms } : null,
        recipe: v.recipe?.recipe ?? null,
        evaluations: evaluationsOf(v),
        notes: v.notes,
      })),
    gates: gatesView,
    history: [...model.aliasHistory].reverse().map((m) => ({
      alias: m.alias,
      from: m.from,
      to: m.to,
      action: m.action,
      at: m.at,
      by: m.by,
      forced: !!m.forced,
      gates: m.gates ? m.gates.map((g) => ({ ...g })) : [],
    })),
    // `mlw registry rollback` moves champion back (other aliases move with Set Alias).
    rollbackable: model.aliases[CHAMPION] !== undefined && aliasLineage(model, CHAMPION).length >= 2 ? [CHAMPION] : [],
  };
}

/** Every registered model of the workspace with its gates evaluated (nothing is moved or written). */
export async function readRegistryPage(workspace: string): Promise<RegistryPageView> {
  const store = new RegistryStore(workspace);
  const errors: string[] = [];
  const files = (await fsp.readdir(store.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  const models: RegistryModelView[] = [];
  for (const f of files) {
    let model: RegisteredModel | undefined;
    try {
      model = await store.read(f.slice(0, -'.json'.length));
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    if (!model) continue;
    let gates: Gate[] | { error: string };
    try {
      gates = await readGates(workspace, model.name);
    } catch (e) {
      gates = { error: (e as Error).message };
    }
    const drift: DriftState =
      !('error' in gates) && gates.some((g) => g.kind === 'no_drift')
        ? await readDriftState(workspace, model.name)
        : { recorded: false, why: '' };
    models.push(registryModelView(model, gates, drift));
  }
  return { workspace: path.resolve(workspace), models, errors };
}
