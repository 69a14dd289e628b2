import { formatParam, type CompareParamValue } from '../lib/compareRuns';
import { formatTick, niceTicks } from '../lib/niceTicks';
import { h } from '../shared/dom';
import { canvasTheme, linear, makeAxis, nextSelection, paddedExtent } from './canvas';
import { sizeCanvas } from '../shared/sizeCanvas';

export interface ScatterPoint {
  id: string;
  name: string;
  color: string;
  x: CompareParamValue | undefined;
  y: number | undefined;
}

const HEIGHT = 300;
const M = { left: 64, right: 16, top: 12, bottom: 44 };

/**
 * A param (x) against a metric (y), one dot per run, on a canvas. Numeric params get a linear
 * axis, others one slot per distinct value. Keyboard: arrows walk the runs in x order, Enter opens
 * the run's dashboard; the run under the pointer or the selection is named in a live region.
 */
export class ScatterPlot {
  readonly el: HTMLElement;
  private readonly canvas = h('canvas', { class: 'runs-canvas', tabindex: '0', role: 'img' });
  private readonly readout = h('div', { class: 'runs-readout mono', 'aria-live': 'polite' });
  private readonly note = h('p', { class: 'muted runs-canvas-note' });
  private points: Array<ScatterPoint & { px: number; py: number }> = [];
  private selected = -1;
  private labels = { x: '', y: '' };

  constructor(private readonly open: (runId: string) => void) {
    this.el = h('div', { class: 'runs-canvas-box' }, this.canvas, this.readout, this.note);
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('mousemove', (e) => this.select(this.nearest(e.offsetX, e.offsetY)));
    this.canvas.addEventListener('click', (e) => this.select(this.nearest(e.offsetX, e.offsetY)));
    this.canvas.addEventListener('dblclick', (e) => {
      const i = this.nearest(e.offsetX, e.offsetY);
      if (i >= 0) this.open(this.points[i].id);
    });
  }

  render(points: ScatterPoint[], xLabel: string, yLabel: string): void {
    this.labels = { x: xLabel, y: yLabel };
    const usable = points.filter((p) => p.x !== undefined && p.y !== undefined && Number.isFinite(p.y));
    const missing = points.length - usable.length;
    this.note.textContent = missing ? `${missing} of ${points.length} runs have no ${xLabel} or no ${yLabel}: not shown.` : '';
    const width = Math.max(320, this.el.clientWidth || 640);
    const ctx = sizeCanvas(this.canvas, width, HEIGHT);
    const t = canvasTheme();
    ctx.clearRect(0, 0, width, HEIGHT);
    ctx.font = t.font;
    const numeric = usable.every((p) => typeof p.x === 'number');
    const cats = numeric
      ? []
      : [...new Set(usable.map((p) => formatParam(p.x)))].sort(new Intl.Collator(undefined, { numeric: true }).compare);
    const xAxis = numeric
      ? makeAxis(
          usable.map((p) => p.x as number),
          M.left,
          width - M.right,
          { pad: true, tickCount: Math.max(2, Math.floor(width / 100)) },
        )
      : undefined;
    const sx = xAxis ? xAxis.map : linear(-0.5, Math.max(0.5, cats.length - 0.5), M.left, width - M.right);
    const [y0, y1] = paddedExtent(usable.map((p) => p.y as number));
    const sy = linear(y0, y1, HEIGHT - M.bottom, M.top);

    // Grid, ticks and axis titles.
    ctx.strokeStyle = t.grid;
    ctx.fillStyle = t.muted;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of niceTicks(y0, y1, 5)) {
      const y = Math.round(sy(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(M.left, y);
      ctx.lineTo(width - M.right, y);
      ctx.stroke();
      ctx.fillText(formatTick(v), M.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const xticks = xAxis ? xAxis.ticks.map((v) => [v, formatTick(v)] as const) : cats.map((c, i) => [i, c] as const);
    for (const [v, label] of xticks) {
      const x = Math.round(sx(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, M.top);
      ctx.lineTo(x, HEIGHT - M.bottom);
      ctx.stroke();
      ctx.fillText(label.length > 16 ? `${label.slice(0, 15)}…` : label, x, HEIGHT - M.bottom + 6);
    }
    ctx.fillStyle = t.fg;
    ctx.fillText(xAxis?.log ? `${xLabel} (log scale)` : xLabel, (M.left + width - M.right) / 2, HEIGHT - 16);
    ctx.save();
    ctx.translate(12, (M.top + HEIGHT - M.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(yLabel, 0, -6);
    ctx.restore();

    const catIndex = new Map(cats.map((c, i) => [c, i]));
    const prevId = this.points[this.selected]?.id;
    this.points = usable
      .map((p) => ({ ...p, px: sx(numeric ? (p.x as number) : (catIndex.get(formatParam(p.x)) as number)), py: sy(p.y as number) }))
      .sort((a, b) => a.px - b.px || a.py - b.py);
    this.selected = prevId ? this.points.findIndex((p) => p.id === prevId) : -1;
    this.drawPoints(ctx);
    this.canvas.setAttribute(
      'aria-label',
      `Scatter of ${yLabel} against ${xLabel} for ${usable.length} runs. Arrow keys select a run, Enter opens its dashboard.`,
    );
    this.describe();
  }

  private drawPoints(ctx: CanvasRenderingContext2D): void {
    const t = canvasTheme();
    for (const p of this.points) {
      ctx.beginPath();
      ctx.arc(p.px, p.py, 4.5, 0, Math.PI * 2);
      ctx.fillStyle = p.color;
      ctx.globalAlpha = 0.9;
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    const s = this.points[this.selected];
    if (s) {
      ctx.beginPath();
      ctx.arc(s.px, s.py, 8, 0, Math.PI * 2);
      ctx.strokeStyle = t.focus;
      ctx.lineWidth = 2;
      ctx.stroke();
    }
  }

  private nearest(x: number, y: number): number {
    let best = -1;
    let bestD = 12 * 12;
    this.points.forEach((p, i) => {
      const d = (p.px - x) ** 2 + (p.py - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    });
    return best;
  }

  private select(i: number): void {
    if (i === this.selected) return;
    this.selected = i;
    this.render(this.points, this.labels.x, this.labels.y);
  }

  private describe(): void {
    const p = this.points[this.selected];
    this.readout.textContent = p
      ? `${p.name}: ${this.labels.x} = ${formatParam(p.x)}, ${this.labels.y} = ${formatTick(p.y as number)}`
      : '';
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.points.length) return;
    if (e.key === 'Enter' && this.points[this.selected]) {
      this.open(this.points[this.selected].id);
      e.preventDefault();
      return;
    }
    const i = nextSelection(e.key, this.selected, this.points.length, true);
    if (i === undefined) return;
    e.preventDefault();
    this.select(i);
  }
}
