import { formatParam, metricValue, type CompareRow, type MetricAgg, type MetricGoal, type SortDir, type SortKey } from '../lib/compareRuns';
import { h } from '../shared/dom';
import { color } from './charts';
import { formatValue } from './common';

export interface TableModel {
  /** Rows in display order (filtered and sorted). */
  rows: CompareRow[];
  /** Color index of each run (its place in the compared list, as in the charts). */
  index: Map<string, number>;
  params: string[];
  differing: Set<string>;
  metrics: string[];
  goals: Record<string, MetricGoal>;
  agg: MetricAgg;
  sort?: { key: SortKey; dir: SortDir };
}

const sameKey = (a: SortKey | undefined, b: SortKey): boolean =>
  !!a && a.kind === b.kind && (a.kind === 'name' || a.kind === 'status' || (a as { key: string }).key === (b as { key: string }).key);

/** The direction a first click sorts in: best first for metrics, ascending otherwise. */
export function firstDir(key: SortKey, goals: Record<string, MetricGoal>): SortDir {
  return key.kind === 'metric' && goals[key.key] !== 'min' ? 'descending' : 'ascending';
}

/**
 * The runs table: one row per run (name opens its dashboard), params that differ highlighted,
 * the best value of each metric column marked. Headers are buttons: click, Enter or Space sorts;
 * the sorted column carries aria-sort.
 */
export function compareTable(model: TableModel, onSort: (key: SortKey) => void, onOpen: (runId: string) => void): HTMLElement {
  const header = (label: string, key: SortKey, cls?: string, title?: string): HTMLElement => {
    const active = model.sort && sameKey(model.sort.key, key) ? model.sort.dir : undefined;
    const b = h(
      'button',
      { type: 'button', class: 'runs-sort', title: title ?? `Sort by ${label}` },
      label,
      h('span', { class: 'runs-sort-mark', 'aria-hidden': 'true' }, active === 'ascending' ? ' ▲' : active === 'descending' ? ' ▼' : ''),
    );
    b.addEventListener('click', () => onSort(key));
    return h('th', { scope: 'col', 'aria-sort': active ?? 'none', class: cls }, b);
  };
  const best = new Map<string, number>();
  for (const m of model.metrics) {
    const vals = model.rows.map((r) => metricValue(r, m, model.agg, model.goals[m])).filter((v): v is number => v !== undefined);
    if (vals.length > 1) best.set(m, model.goals[m] === 'min' ? Math.min(...vals) : Math.max(...vals));
  }
  const aggLabel = (m: string) => (model.agg === 'final' ? 'final' : `best ${model.goals[m] === 'min' ? '↓' : '↑'}`);
  const head = h(
    'tr',
    {},
    header('Run', { kind: 'name' }),
    header('Status', { kind: 'status' }),
    ...model.params.map((p) =>
      header(
        p,
        { kind: 'param', key: p },
        model.differing.has(p) ? 'runs-differs' : undefined,
        model.differing.has(p) ? `Sort by ${p} (differs between runs)` : undefined,
      ),
    ),
    ...model.metrics.map((m) => header(`${m} (${aggLabel(m)})`, { kind: 'metric', key: m }, 'runs-metric-col')),
  );
  const body = model.rows.map((r) => {
    const link = h(
      'button',
      { type: 'button', class: 'runs-link', title: `Open the dashboard of ${r.name}` },
      h('span', { class: 'runs-swatch' }),
      r.name,
    );
    (link.firstChild as HTMLElement).style.background = color(model.index.get(r.id) ?? 0);
    link.addEventListener('click', () => onOpen(r.id));
    return h(
      'tr',
      { 'data-run': r.id },
      h('th', { scope: 'row', class: 'runs-row-head' }, link),
      h('td', {}, h('span', { class: `runs-status-text runs-status-${r.status}` }, r.status)),
      ...model.params.map((p) =>
        h('td', model.differing.has(p) ? { class: 'runs-differs' } : {}, r.params[p] === undefined ? '—' : formatParam(r.params[p])),
      ),
      ...model.metrics.map((m) => {
        const v = metricValue(r, m, model.agg, model.goals[m]);
        const isBest = v !== undefined && best.get(m) === v;
        return h(
          'td',
          { class: `num${isBest ? ' runs-best' : ''}`, title: isBest ? `Best ${m} of the runs shown` : undefined },
          formatValue(v),
        );
      }),
    );
  });
  return h(
    'div',
    { class: 'runs-table-wrap' },
    h(
      'table',
      { class: 'grid runs-table runs-compare-table', 'aria-label': 'Runs compared' },
      h('thead', {}, head),
      h('tbody', {}, ...body),
    ),
  );
}
