/** Evaluates promotion gates over a version's figures, against the champion's. Pure: the drift state is passed in. */
import { compare, negate, type Gate } from './parseGate';
import type { GateResult, ModelEvaluation, ModelVersion } from './registryTypes';

/** What the workspace recorded about the model's serving drift (see driftState.ts). */
export type DriftState =
  | { recorded: false; why: string }
  | { recorded: true; file: string; drifted: Array<{ feature: string; psi: number }>; threshold: number; observed: number };

const MB = 1024 * 1024;

type Figure = { value: number } | { missing: string };

/** A figure of a version: the benchmark's p50_ms/p99_ms, size_mb from the file's size, else a run metric. */
export function versionFigure(v: ModelVersion, name: string): Figure {
  if (name === 'size_mb') return { value: v.sizeBytes / MB };
  if ((name === 'p50_ms' || name === 'p99_ms') && v.benchmark) return { value: v.benchmark[name] };
  if (name in v.metrics) return { value: v.metrics[name] };
  if (name === 'p50_ms' || name === 'p99_ms')
    return {
      missing: `${name} is missing: no benchmark recorded for version ${v.version} (write one with mlw bench MODEL --json > MODEL.bench.json before registering)`,
    };
  const known = Object.keys(v.metrics);
  return {
    missing: `${name} is missing: version ${v.version} has no such metric${known.length ? ` (it has ${known.join(', ')})` : ' (it has no metrics)'}`,
  };
}

const num = (x: number): string => {
  const r = Number(x.toPrecision(6));
  return String(r);
};

/** Whether a version and the champion were evaluated on the same data, by the sha256 of their runs' data inputs. */
function sameData(v: ModelVersion, champion: ModelVersion): { differ: boolean; note: string } {
  const mine = v.dataInputs ?? [];
  const theirs = champion.dataInputs ?? [];
  if (!mine.length || !theirs.length) return { differ: false, note: 'evaluation data not recorded' };
  const key = (d: { sha256: string }[]) => [...new Set(d.map((x) => x.sha256))].sort().join(',');
  if (key(mine) === key(theirs)) return { differ: false, note: 'same evaluation data' };
  const show = (d: { path: string; sha256: string }[]) => d.map((x) => `${x.path} ${x.sha256.slice(0, 12)}`).join(', ');
  return {
    differ: true,
    note: `version ${v.version} was evaluated on other data (${show(mine)}) than champion version ${champion.version} (${show(theirs)})`,
  };
}

/**
 * The latest evaluation of `v` on data the champion was evaluated on too (same sha256) that has `metric` in both,
 * with the champion's evaluation of it; undefined when there is none.
 */
export function commonEvaluation(
  v: ModelVersion,
  champion: ModelVersion,
  metric: string,
): { mine: ModelEvaluation; theirs: ModelEvaluation } | undefined {
  const latest = (list: ModelEvaluation[]) => [...list].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  for (const mine of latest(v.evaluations ?? [])) {
    if (!Number.isFinite(mine.metrics[metric])) continue;
    const theirs = latest(champion.evaluations ?? []).find((e) => e.data.sha256 === mine.data.sha256 && Number.isFinite(e.metrics[metric]));
    if (theirs) return { mine, theirs };
  }
  return undefined;
}

const evaluationNote = (e: ModelEvaluation): string =>
  Number.isFinite(e.metrics.rows)
    ? `on the same ${e.metrics.rows} held-out captured rows (${e.data.path})`
    : `on the same evaluation data (${e.data.path})`;

export function evaluateGate(gate: Gate, v: ModelVersion, champion: ModelVersion | undefined, drift: DriftState): GateResult {
  if (gate.kind === 'no_drift') {
    if (!drift.recorded) return { gate: gate.text, passed: false, detail: `no drift state recorded: ${drift.why}` };
    if (!drift.drifted.length)
      return {
        gate: gate.text,
        passed: true,
        detail: `no feature over PSI ${drift.threshold} (${drift.observed} rows observed, ${drift.file})`,
      };
    const worst = drift.drifted.slice(0, 3).map((d) => `${d.feature} PSI ${num(d.psi)}`);
    return {
      gate: gate.text,
      passed: false,
      detail: `drift: ${worst.join(', ')}${drift.drifted.length > 3 ? ` and ${drift.drifted.length - 3} more` : ''} > ${drift.threshold} (${drift.file})`,
    };
  }
  const off = gate.kind === 'champion' ? gate.offset : 0;
  const offset = off ? ` ${off > 0 ? '+' : '-'} ${num(Math.abs(off))}` : '';
  const common = gate.kind === 'champion' && champion ? commonEvaluation(v, champion, gate.metric) : undefined;
  if (common && champion) {
    // Both versions ran on the same rows through the same runtime: that beats comparing their runs' own metrics.
    const a = common.mine.metrics[gate.metric];
    const b = common.theirs.metrics[gate.metric];
    const bound = b + off;
    const ok = compare(a, gate.op, bound);
    return {
      gate: gate.text,
      passed: ok,
      detail: `${gate.metric} ${num(a)} ${ok ? gate.op : negate(gate.op)} ${num(bound)} (champion version ${champion.version}: ${num(b)}${offset}; ${evaluationNote(common.mine)})`,
    };
  }
  const mine = versionFigure(v, gate.metric);
  if ('missing' in mine) return { gate: gate.text, passed: false, detail: mine.missing };
  if (gate.kind === 'value') {
    const ok = compare(mine.value, gate.op, gate.value);
    return {
      gate: gate.text,
      passed: ok,
      detail: `${gate.metric} ${num(mine.value)} ${ok ? gate.op : negate(gate.op)} ${num(gate.value)}`,
    };
  }
  if (!champion) return { gate: gate.text, passed: true, detail: `no champion yet: nothing to beat (${gate.metric} ${num(mine.value)})` };
  const theirs = versionFigure(champion, gate.metric);
  if ('missing' in theirs) return { gate: gate.text, passed: false, detail: `champion (version ${champion.version}): ${theirs.missing}` };
  const data = sameData(v, champion);
  if (data.differ) return { gate: gate.text, passed: false, detail: `not comparable: ${data.note}` };
  const bound = theirs.value + gate.offset;
  const ok = compare(mine.value, gate.op, bound);
  return {
    gate: gate.text,
    passed: ok,
    detail: `${gate.metric} ${num(mine.value)} ${ok ? gate.op : negate(gate.op)} ${num(bound)} (champion version ${champion.version}: ${num(theirs.value)}${offset}; ${data.note})`,
  };
}

export function evaluateGates(
  gates: readonly Gate[],
  v: ModelVersion,
  champion: ModelVersion | undefined,
  drift: DriftState,
): GateResult[] {
  return gates.map((g) => evaluateGate(g, v, champion, drift));
}
