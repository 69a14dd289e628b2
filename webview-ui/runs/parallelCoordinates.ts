import { formatTick } from '../lib/niceTicks';
import { h } from '../shared/dom';
import { canvasTheme, linear, makeAxis, nextSelection } from './canvas';
import { sizeCanvas } from '../shared/sizeCanvas';

export interface PcLine {
  id: string;
  name: string;
  color: string;
  /** One value per axis; undefined where the run has none. */
  values: Array<number | undefined>;
}

const HEIGHT = 300;
const M = { left: 64, right: 64, top: 36, bottom: 24 };

/**
 * Parallel coordinates on a canvas: one vertical axis per numeric param of the sweep plus the chosen
 * metric (last), one polyline per run. Keyboard: arrows select a run (it is drawn on top, others
 * fade), Enter opens its dashboard; the pointer selects the line nearest to it.
 */
export class ParallelCoordinates {
  readonly el: HTMLElement;
  private readonly canvas = h('canvas', { class: 'runs-canvas', tabindex: '0', role: 'img' });
  private readonly readout = h('div', { class: 'runs-readout mono', 'aria-live': 'polite' });
  private lines: Array<PcLine & { pts: Array<[number, number] | undefined> }> = [];
  private axes: string[] = [];
  private selected = -1;

  constructor(private readonly open: (runId: string) => void) {
    this.el = h('div', { class: 'runs-canvas-box' }, this.canvas, this.readout);
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('mousemove', (e) => this.select(this.nearest(e.offsetX, e.offsetY)));
    this.canvas.addEventListener('dblclick', (e) => {
      const i = this.nearest(e.offsetX, e.offsetY);
      if (i >= 0) this.open(this.lines[i].id);
    });
  }

  render(axes: string[], lines: PcLine[]): void {
    this.axes = axes;
    const width = Math.max(320, this.el.clientWidth || 640);
    const ctx = sizeCanvas(this.canvas, width, HEIGHT);
    const t = canvasTheme();
    ctx.clearRect(0, 0, width, HEIGHT);
    ctx.font = t.font;
    const ax = linear(0, Math.max(1, axes.length - 1), M.left, width - M.right);
    const scales = axes.map((_, a) =>
      makeAxis(
        lines.map((l) => l.values[a]).filter((v): v is number => v !== undefined),
        HEIGHT - M.bottom,
        M.top,
        { pad: false, tickCount: 4 },
      ),
    );
    const prevId = this.lines[this.selected]?.id;
    this.lines = lines.map((l) => ({
      ...l,
      pts: l.values.map((v, a) =>
        v === undefined || !Number.isFinite(v) || (scales[a].log && v <= 0) ? undefined : ([ax(a), scales[a].map(v)] as [number, number]),
      ),
    }));
    this.selected = prevId ? this.lines.findIndex((l) => l.id === prevId) : -1;

    // Lines first, the selected one last and thick.
    const sel = this.lines[this.selected];
    ctx.lineWidth = 1.25;
    ctx.globalAlpha = sel ? 0.25 : 0.8;
    for (const l of this.lines) if (l !== sel) this.polyline(ctx, l.pts, l.color);
    ctx.globalAlpha = 1;
    if (sel) {
      ctx.lineWidth = 3;
      this.polyline(ctx, sel.pts, sel.color);
    }

    // Axes with their name on top and the range at the ends.
    ctx.strokeStyle = t.grid;
    ctx.lineWidth = 1;
    ctx.textAlign = 'center';
    axes.forEach((name, a) => {
      const x = Math.round(ax(a)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, M.top);
      ctx.lineTo(x, HEIGHT - M.bottom);
      ctx.strokeStyle = a === axes.length - 1 ? t.fg : t.muted;
      ctx.stroke();
      ctx.fillStyle = t.fg;
      ctx.textBaseline = 'bottom';
      const room = Math.max(
        8,
        Math.floor((a === 0 || a === axes.length - 1 ? 2 * M.left : (width - M.left - M.right) / Math.max(1, axes.length - 1)) / 7),
      );
      const title = `${name}${scales[a].log ? ' (log)' : ''}`;
      ctx.fillText(title.length > room ? `${title.slice(0, room - 1)}…` : title, x, M.top - 14);
      ctx.fillStyle = t.muted;
      ctx.fillText(formatTick(scales[a].hi), x, M.top - 2);
      ctx.textBaseline = 'top';
      ctx.fillText(formatTick(scales[a].lo), x, HEIGHT - M.bottom + 4);
    });
    this.canvas.setAttribute(
      'aria-label',
      `Parallel coordinates of ${lines.length} runs over ${axes.join(', ')}. Arrow keys select a run, Enter opens its dashboard.`,
    );
    this.describe();
  }

  private polyline(ctx: CanvasRenderingContext2D, pts: Array<[number, number] | undefined>, color: string): void {
    ctx.strokeStyle = color;
    ctx.beginPath();
    let pen = false;
    for (const p of pts) {
      if (!p) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(p[0], p[1]);
      else ctx.moveTo(p[0], p[1]);
      pen = true;
    }
    ctx.stroke();
  }

  /** The line passing closest to the pointer (vertical distance, between the two axes around it). */
  private nearest(x: number, y: number): number {
    let best = -1;
    let bestD = 10;
    this.lines.forEach((l, i) => {
      for (let a = 0; a + 1 < l.pts.length; a++) {
        const p = l.pts[a];
        const q = l.pts[a + 1];
        if (!p || !q || x < p[0] || x > q[0]) continue;
        const yy = p[1] + ((q[1] - p[1]) * (x - p[0])) / (q[0] - p[0] || 1);
        const d = Math.abs(yy - y);
        if (d < bestD) {
          bestD = d;
          best = i;
        }
      }
    });
    return best;
  }

  private select(i: number): void {
    if (i === this.selected) return;
    this.selected = i;
    this.render(this.axes, this.lines);
  }

  private describe(): void {
    const l = this.lines[this.selected];
    this.readout.textContent = l
      ? `${l.name}: ${this.axes.map((a, i) => `${a} = ${l.values[i] === undefined ? '—' : formatTick(l.values[i] as number)}`).join(', ')}`
      : '';
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.lines.length) return;
    if (e.key === 'Enter' && this.lines[this.selected]) {
      this.open(this.lines[this.selected].id);
      e.preventDefault();
      return;
    }
    const i = nextSelection(e.key, this.selected, this.lines.length);
    if (i === undefined) return;
    e.preventDefault();
    this.select(i);
  }
}
