import {
  differingParams,
  filterRows,
  metricKeys,
  metricStats,
  metricValue,
  numericParams,
  paramKeys,
  sortRows,
  type CompareRow,
  type MetricAgg,
  type MetricGoal,
  type SortKey,
} from '../lib/compareRuns';
import type { RunMetricStats, RunStudyView, RunView } from '../../src/shared/runsProtocol';
import { h } from '../shared/dom';
import { color } from './charts';
import { chartControls, select, type Raw, type ViewState } from './common';
import { compareTable, firstDir } from './compareTable';
import { MetricCharts, type ChartSpec } from './metricCharts';
import { ParallelCoordinates } from './parallelCoordinates';
import { ScatterPlot } from './scatterPlot';
import { StudySection } from './studyView';
import { isSystemMetric, trainingFirst } from '../lib/groupSystemMetrics';

export interface CompareData {
  runs: Array<{ run: RunView; series: Map<string, Raw>; stats?: Record<string, RunMetricStats> }>;
  goals: Record<string, MetricGoal>;
  /** The Optuna study the runs are trials of. */
  study?: RunStudyView;
}

/** Studies whose objective has been made the views' metric once (later the user's choice stands, across reloads). */
const objectiveApplied = new Set<string>();

function toRow(run: RunView, series: Map<string, Raw>, stats: Record<string, RunMetricStats> = {}): CompareRow {
  const metrics: CompareRow['metrics'] = { ...stats };
  for (const [name, raw] of series) metrics[name] ??= metricStats(raw.valuesView);
  for (const [name, v] of Object.entries(run.finalMetrics))
    if (metrics[name]?.final === undefined) metrics[name] = { final: v, min: v, max: v };
  return { id: run.id, name: run.name, status: run.status, params: run.params, metrics };
}

/**
 * The Compare Runs page: overlaid curves (one color per run, any number of runs), the runs table
 * (sort, filter, only differing params, final or best values), a scatter of a param against a
 * metric and parallel coordinates over the sweep's numeric params. The filter applies to all of them.
 */
export class CompareView {
  private readonly rows: CompareRow[];
  private readonly index: Map<string, number>;
  private readonly params: string[];
  private readonly metrics: string[];
  private readonly charts: MetricCharts;
  private readonly tableBox = h('div', {});
  private readonly count = h('p', { class: 'muted', 'aria-live': 'polite' });
  private readonly scatter: ScatterPlot;
  private readonly pc: ParallelCoordinates;
  private readonly pcNote = h('p', { class: 'muted' });
  private readonly study = new StudySection();
  /** The scatter and parallel coordinates are drawn when scrolled into view (they start below the fold). */
  private readonly viewsBox = h('div', { class: 'runs-views' });
  private viewsVisible = false;
  private viewsDirty = true;
  private readonly observer = new IntersectionObserver((entries) => {
    this.viewsVisible = entries.some((e) => e.isIntersecting);
    if (this.viewsVisible && this.viewsDirty) this.drawViews();
  });

  constructor(
    private readonly root: HTMLElement,
    private readonly data: CompareData,
    private readonly view: ViewState,
    private readonly save: () => void,
    private readonly open: (runId: string) => void,
  ) {
    this.rows = data.runs.map((r) => toRow(r.run, r.series, r.stats));
    this.index = new Map(this.rows.map((r, i) => [r.id, i]));
    this.params = paramKeys(this.rows);
    this.metrics = trainingFirst(metricKeys(this.rows)); // system/* columns last
    this.charts = new MetricCharts(h('div', { class: 'runs-charts' }), {
      names: () => this.chartNames(),
      spec: (m) => this.chartSpec(m),
      log: () => this.view.log,
      empty: () => 'No metrics were logged.',
      scalarBars: true,
    });
    this.scatter = new ScatterPlot(open);
    this.pc = new ParallelCoordinates(open);
  }

  private get state(): ViewState['compare'] {
    return this.view.compare;
  }

  private chartNames(): string[] {
    const names = new Set<string>();
    for (const r of this.data.runs) for (const k of r.series.keys()) names.add(k);
    return trainingFirst([...names].sort());
  }

  private chartSpec(metric: string): ChartSpec | undefined {
    const spec: ChartSpec = { series: [], curves: [], styles: [] };
    const style = { smoothing: this.view.smoothing, positive: this.view.log };
    let any = false;
    for (const [i, { run, series }] of this.data.runs.entries()) {
      const raw = series.get(metric);
      const c = raw ? raw.normalized : { xs: new Float64Array(0), ys: new Float64Array(0) };
      any ||= c.xs.length > 0;
      spec.curves.push(c);
      spec.styles.push(style);
      spec.series.push({ label: run.name, color: color(i) });
    }
    return any ? spec : undefined;
  }

  render(): void {
    const s = this.state;
    const filter = h('input', {
      type: 'search',
      id: 'runs-filter',
      class: 'runs-filter',
      placeholder: 'Filter: name or k=v, all terms match',
      'aria-label': 'Filter runs',
      value: s.filter,
    });
    let timer = 0;
    filter.addEventListener('input', () => {
      clearTimeout(timer);
      timer = window.setTimeout(() => {
        s.filter = filter.value;
        this.save();
        this.update();
      }, 120);
    });
    const only = h('input', { type: 'checkbox', id: 'runs-only-diff' });
    only.checked = s.onlyDiff;
    only.addEventListener('change', () => {
      s.onlyDiff = only.checked;
      this.save();
      this.update();
    });
    const aggSelect = select(
      'runs-agg',
      'Metric value',
      [
        ['best', 'best (by metric goal)'],
        ['final', 'final (last logged)'],
      ],
      s.agg,
      (v) => {
        s.agg = v as MetricAgg;
        this.save();
        this.update();
      },
    );
    const distinct = (p: string) => new Set(this.rows.map((r) => JSON.stringify(r.params[p] ?? null))).size;
    const numeric = numericParams(this.rows).sort((a, b) => distinct(b) - distinct(a) || a.localeCompare(b));
    const paramOptions = [...numeric, ...this.params.filter((p) => !numeric.includes(p))];
    s.x = paramOptions.includes(s.x ?? '') ? s.x : paramOptions[0];
    s.y = this.metrics.includes(s.y ?? '')
      ? s.y
      : (this.metrics.find((m) => this.data.goals[m] === 'max' && !isSystemMetric(m)) ?? this.metrics[0]);
    const xSelect = select(
      'runs-x',
      'Param (x)',
      paramOptions.map((p) => [p, p]),
      s.x,
      (v) => {
        s.x = v;
        this.save();
        this.requestViews();
      },
    );
    const ySelect = select(
      'runs-y',
      'Metric (y)',
      this.metrics.map((m) => [m, m]),
      s.y,
      (v) => {
        s.y = v;
        this.save();
        this.requestViews();
      },
    );
    this.root.replaceChildren(
      h('h1', {}, `Compare ${this.rows.length} runs`),
      chartControls(this.view, () => {
        this.save();
        this.charts.draw();
        this.applyFilterToCharts();
      }),
      this.charts.el,
      this.study.el,
      h('h2', {}, 'Runs'),
      h(
        'div',
        { class: 'toolbar runs-table-tools' },
        filter,
        only,
        h('label', { for: 'runs-only-diff' }, 'Only params that differ'),
        ...aggSelect,
      ),
      this.count,
      this.tableBox,
      h(
        'p',
        { class: 'muted' },
        'Highlighted columns: params that differ between the runs. Marked values: the best of each metric among the runs shown. Click a header to sort.',
      ),
      h('h2', {}, 'Param against metric'),
      ...(paramOptions.length && this.metrics.length
        ? [h('div', { class: 'toolbar' }, ...xSelect, ...ySelect), this.viewsBox]
        : [h('p', { class: 'muted' }, 'The runs need params and metrics for these views.')]),
    );
    this.viewsBox.replaceChildren(
      h('section', { class: 'runs-view', 'aria-label': 'Scatter' }, h('h3', {}, 'Scatter'), this.scatter.el),
      h(
        'section',
        { class: 'runs-view', 'aria-label': 'Parallel coordinates' },
        h('h3', {}, 'Parallel coordinates'),
        this.pcNote,
        this.pc.el,
      ),
    );
    this.observer.observe(this.viewsBox);
    this.root.setAttribute('aria-busy', 'false');
    // The table first: the page reaches its full height (and its scrollbar) before charts measure their width.
    this.update();
    this.charts.draw();
    this.setStudy(this.data.study);
  }

  /** Shows the study's section; the first time a study is shown, its objective becomes the scatter's and parallel coordinates' metric. */
  setStudy(study: RunStudyView | undefined): void {
    this.data.study = study;
    this.study.render(study);
    const metric = study?.summary?.objective?.replace(/:(min|max)$/, '');
    if (study && metric && this.metrics.includes(metric) && !objectiveApplied.has(study.name)) {
      objectiveApplied.add(study.name);
      if (this.state.y !== metric) {
        this.state.y = metric;
        this.save();
        const y = this.root.querySelector<HTMLSelectElement>('#runs-y');
        if (y) y.value = metric;
        this.requestViews();
      }
    }
  }

  /** The rows passing the filter, in table order. */
  private visibleRows(): CompareRow[] {
    const s = this.state;
    const filtered = filterRows(this.rows, s.filter);
    return s.sort ? sortRows(filtered, s.sort.key, s.sort.dir, s.agg, this.data.goals) : filtered;
  }

  private applyFilterToCharts(): void {
    const visible = new Set(this.visibleRows().map((r) => this.index.get(r.id) as number));
    this.charts.filter(visible, this.rows.length);
  }

  /** After a filter, sort or option change: table, chart visibility, views. */
  update(): void {
    const s = this.state;
    const rows = this.visibleRows();
    const differing = differingParams(rows.length > 1 ? rows : this.rows, this.params);
    this.count.textContent =
      rows.length === this.rows.length ? `${rows.length} runs` : `Showing ${rows.length} of ${this.rows.length} runs`;
    const onSort = (key: SortKey) => {
      const same = s.sort && JSON.stringify(s.sort.key) === JSON.stringify(key);
      s.sort = { key, dir: same ? (s.sort?.dir === 'ascending' ? 'descending' : 'ascending') : firstDir(key, this.data.goals) };
      this.save();
      this.update();
      (this.tableBox.querySelector(`th[aria-sort="${s.sort.dir}"] button`) as HTMLElement | null)?.focus();
    };
    this.tableBox.replaceChildren(
      compareTable(
        {
          rows,
          index: this.index,
          params: s.onlyDiff ? this.params.filter((p) => differing.has(p)) : this.params,
          differing,
          metrics: this.metrics,
          goals: this.data.goals,
          agg: s.agg,
          sort: s.sort,
        },
        onSort,
        this.open,
      ),
    );
    this.applyFilterToCharts();
    this.requestViews();
  }

  /** Draws the canvas views now when they are on screen, else when they scroll into view. */
  private requestViews(): void {
    this.viewsDirty = true;
    if (this.viewsVisible) this.drawViews();
  }

  private drawViews(): void {
    this.viewsDirty = false;
    const rows = this.visibleRows();
    const { x, y, agg } = this.state;
    if (!x || !y) return;
    const yLabel = `${y} (${agg === 'final' ? 'final' : 'best'})`;
    this.scatter.render(
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        color: color(this.index.get(r.id) ?? 0),
        x: r.params[x],
        y: metricValue(r, y, agg, this.data.goals[y]),
      })),
      x,
      yLabel,
    );
    const axes = numericParams(rows.length > 1 ? rows : this.rows);
    this.pcNote.textContent = axes.length ? '' : 'No numeric param varies between these runs: the axis is the metric alone.';
    this.pc.render(
      [...axes, yLabel],
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        color: color(this.index.get(r.id) ?? 0),
        values: [
          ...axes.map((a) => (typeof r.params[a] === 'number' ? (r.params[a] as number) : undefined)),
          metricValue(r, y, agg, this.data.goals[y]),
        ],
      })),
    );
  }

  resize(): void {
    this.charts.resize();
    this.study.draw();
    this.requestViews();
  }

  destroy(): void {
    this.observer.disconnect();
    this.charts.destroy();
  }
}
