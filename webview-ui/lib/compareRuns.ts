/**
 * The model behind the Compare Runs table and views: metric values per run (final or best), params
 * that differ, a text filter and a stable sort. Pure functions; the webview and unit tests use them.
 */

import type { RunMetricGoal, RunMetricStats, RunParamValue } from '../../src/shared/runsProtocol';

export type CompareParamValue = RunParamValue;

/** Final, min and max of one metric of one run (undefined when the run has no finite value). */
export type MetricStats = RunMetricStats;

export interface CompareRow {
  id: string;
  name: string;
  status: string;
  params: Record<string, CompareParamValue>;
  metrics: Record<string, MetricStats>;
}

/** Which value of a metric a table column or chart axis shows. */
export type MetricAgg = 'final' | 'best';

/** Whether smaller or larger values of a metric are better. */
export type MetricGoal = RunMetricGoal;

export type SortKey = { kind: 'name' } | { kind: 'status' } | { kind: 'param'; key: string } | { kind: 'metric'; key: string };
export type SortDir = 'ascending' | 'descending';

/** Final (last finite), min and max of a series. */
export function metricStats(values: ArrayLike<number | null>): MetricStats {
  let min = Infinity;
  let max = -Infinity;
  let final: number | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    final = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return final === undefined ? {} : { final, min, max };
}

/** The value shown for a metric: the last one, or the best one by the metric's goal. */
export function metricValue(row: CompareRow, metric: string, agg: MetricAgg, goal: MetricGoal = 'max'): number | undefined {
  const s = row.metrics[metric];
  if (!s) return undefined;
  if (agg === 'final') return s.final;
  return goal === 'min' ? s.min : s.max;
}

const keyOf = (v: CompareParamValue | undefined): string => (v === undefined ? '\u0000missing' : JSON.stringify(v));

/** Params whose value (or presence) is not the same in every row. */
export function differingParams(rows: CompareRow[], keys: string[]): Set<string> {
  const out = new Set<string>();
  for (const k of keys) {
    const first = keyOf(rows[0]?.params[k]);
    if (rows.some((r) => keyOf(r.params[k]) !== first)) out.add(k);
  }
  return out;
}

/** Every param key of the rows, sorted. */
export function paramKeys(rows: CompareRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
}

/** Every metric name of the rows, sorted. */
export function metricKeys(rows: CompareRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
}

export function formatParam(v: CompareParamValue | undefined): string {
  if (v === undefined) return '';
  return v === null ? 'null' : String(v);
}

/**
 * Rows matching every whitespace-separated term of `text` (case-insensitive) in their name, id,
 * status or `key=value` params: `lr=0.1 adam` keeps runs with lr 0.1 that mention adam.
 */
export function filterRows(rows: CompareRow[], text: string): CompareRow[] {
  const terms = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return rows.slice();
  return rows.filter((r) => {
    const hay = [r.name, r.id, r.status, ...Object.entries(r.params).map(([k, v]) => `${k}=${formatParam(v)}`)].join(' ').toLowerCase();
    return terms.every((t) => hay.includes(t));
  });
}

type Cell = number | string | undefined;

function cell(row: CompareRow, key: SortKey, agg: MetricAgg, goals: Record<string, MetricGoal>): Cell {
  switch (key.kind) {
    case 'name':
      return row.name;
    case 'status':
      return row.status;
    case 'param': {
      const v = row.params[key.key];
      if (v === undefined || v === null) return undefined;
      return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : v;
    }
    case 'metric':
      return metricValue(row, key.key, agg, goals[key.key]);
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Numbers before strings, numbers by value, strings naturally (run-2 < run-10); missing values last in both directions. */
function compareCells(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return collator.compare(a as string, b as string);
}

/** A stable sort of the rows by one column; runs without a value stay at the bottom. */
export function sortRows(
  rows: CompareRow[],
  key: SortKey,
  dir: SortDir,
  agg: MetricAgg,
  goals: Record<string, MetricGoal> = {},
): CompareRow[] {
  const sign = dir === 'ascending' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: cell(row, key, agg, goals) }))
    .sort((a, b) => {
      if (a.v === undefined || b.v === undefined) return a.v === b.v ? a.i - b.i : a.v === undefined ? 1 : -1;
      return sign * compareCells(a.v, b.v) || a.i - b.i;
    })
    .map((x) => x.row);
}

/** Params with a finite number in at least two rows, and more than one distinct value: the axes of a sweep. */
export function numericParams(rows: CompareRow[]): string[] {
  return paramKeys(rows).filter((k) => {
    const vals = new Set<number>();
    let n = 0;
    for (const r of rows) {
      const v = r.params[k];
      if (typeof v === 'number' && Number.isFinite(v)) {
        vals.add(v);
        n++;
      }
    }
    return n >= 2 && vals.size > 1;
  });
}
