import type uPlot from 'uplot';
import { alignCurves, type Curve, type CurveStyle } from '../lib/downsampleCurves';
import { h } from '../shared/dom';
import { makeChart, type ChartSeries } from './charts';
import { isScalarMetric, scalarBars } from './scalarBars';

/** What one chart draws: its curves at full resolution, and how each is smoothed / filtered for log scale. */
export interface ChartSpec {
  series: ChartSeries[];
  curves: Curve[];
  styles: CurveStyle[];
}

export interface MetricChartsSource {
  names(): string[];
  spec(metric: string): ChartSpec | undefined;
  log(): boolean;
  empty(): string;
  /** Draw metrics logged once per run as bars (compare); else a lone point stays a chart that grows into a curve (dashboard). */
  scalarBars?: boolean;
  /** What x is (default `step`): system metrics are charted against seconds since the run started. */
  xLabel?: string;
}

interface Drawn {
  plot: uPlot;
  box: HTMLElement;
  buckets: number;
}

/** Inner width of a chart card (its padding and border taken off). */
const chartWidth = (box: HTMLElement): number => Math.max(200, box.clientWidth - 18);

/** Width of the y axis (see makeChart) and the plot's padding: not part of the plotting area. */
const AXIS_PX = 72;

/** Pixel columns of a chart's plotting area: one min/max bucket each. */
const bucketsFor = (width: number): number => Math.ceil(Math.max(50, width - AXIS_PX) * (window.devicePixelRatio || 1));

/**
 * The grid of metric charts: one uPlot per metric, curves downsampled to the chart's pixel width
 * (min/max per column), redrawn on new points and re-downsampled when the width grows.
 */
export class MetricCharts {
  private readonly drawn = new Map<string, Drawn>();
  /** Metrics drawn as bars (one value per run; see scalarBars.ts), by name. */
  private readonly bars = new Map<string, HTMLElement>();
  /** Curves hidden by the compare filter (index into each chart's series). */
  private hidden = new Set<number>();

  constructor(
    readonly el: HTMLElement,
    private readonly source: MetricChartsSource,
  ) {}

  private data(spec: ChartSpec, buckets: number): { data: uPlot.AlignedData; downsampled: boolean } {
    const aligned = alignCurves(spec.curves, buckets, spec.styles);
    return { data: [aligned.xs, ...aligned.ys] as uPlot.AlignedData, downsampled: aligned.downsampled };
  }

  /** (Re)creates every chart: after a state change, smoothing, log toggle or a new metric. */
  draw(): void {
    this.destroy();
    const names = this.source.names();
    this.el.replaceChildren(...(names.length ? [] : [h('p', { class: 'muted' }, this.source.empty())]));
    let width = 0;
    for (const name of names) {
      const spec = this.source.spec(name);
      if (!spec) continue;
      if (this.barsWanted(spec)) {
        const box = h(
          'section',
          { class: 'runs-chart', 'data-metric': name },
          h('h3', {}, name, h('span', { class: 'runs-chart-note' }, ' · one value per run')),
          scalarBars(spec.series, spec.curves, this.hidden),
        );
        this.el.append(box);
        this.bars.set(name, box);
        continue;
      }
      const target = h('div', { class: 'runs-plot' });
      const readout = h('div', { class: 'runs-readout mono', 'aria-live': 'polite' });
      const title = h('h3', {}, name);
      const box = h('section', { class: 'runs-chart', 'data-metric': name }, title, target, readout);
      this.el.append(box);
      width ||= chartWidth(box); // the grid's columns are equal: one forced layout, not one per chart
      const buckets = bucketsFor(width);
      const { data, downsampled } = this.data(spec, buckets);
      if (downsampled)
        title.append(
          h(
            'span',
            {
              class: 'runs-chart-note',
              title: 'Long curves are drawn as the lowest and highest value per pixel column: spikes stay visible.',
            },
            ' · min/max per pixel',
          ),
        );
      const series = spec.series.map((s, i) => ({ ...s, show: !this.hidden.has(i) }));
      const plot = makeChart(
        target,
        width,
        series,
        data,
        this.source.log(),
        spec.series.length > 1 ? readout : undefined,
        this.source.xLabel,
      );
      this.drawn.set(name, { plot, box, buckets });
    }
  }

  /** New points: update existing charts in place, add charts for new metrics. */
  update(changed: string[]): void {
    let added = false;
    for (const name of changed) {
      const chart = this.drawn.get(name);
      const spec = this.source.spec(name);
      if (!chart || !spec || this.bars.has(name))
        added = true; // new, or bars that may have become a curve
      else chart.plot.setData(this.data(spec, chart.buckets).data);
    }
    if (added) this.draw();
  }

  /** Shows only the curves whose index is in `visible` (the compare filter). */
  filter(visible: Set<number>, count: number): void {
    this.hidden = new Set(Array.from({ length: count }, (_, i) => i).filter((i) => !visible.has(i)));
    for (const box of this.bars.values()) {
      for (const row of box.querySelectorAll<HTMLElement>('.runs-bar-row')) row.hidden = this.hidden.has(Number(row.dataset.index));
    }
    for (const { plot } of this.drawn.values()) {
      const toggle: number[] = [];
      for (let i = 1; i < plot.series.length; i++) if (plot.series[i].show !== !this.hidden.has(i - 1)) toggle.push(i);
      if (!toggle.length) continue;
      plot.batch(() => {
        for (const i of toggle) plot.setSeries(i, { show: !this.hidden.has(i - 1) });
      });
    }
  }

  /** Follows the panel's width; curves are downsampled again when a chart grew past its buckets. */
  resize(): void {
    let redo = false;
    for (const c of this.drawn.values()) {
      const width = chartWidth(c.box);
      if (bucketsFor(width) > c.buckets * 1.25) redo = true;
      else if (Math.abs(c.plot.width - width) > 2) c.plot.setSize({ width, height: c.plot.height });
    }
    if (redo) this.draw();
  }

  destroy(): void {
    for (const c of this.drawn.values()) c.plot.destroy();
    this.drawn.clear();
    this.bars.clear();
  }

  private barsWanted(spec: ChartSpec): boolean {
    return this.source.scalarBars === true && isScalarMetric(spec.curves);
  }
}
