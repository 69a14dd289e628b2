/**
 * Draws a laid-out graph on a <canvas>: only what is in view, text only when it is legible, one path per
 * colour when zoomed far out. Pan by dragging or arrow keys, zoom with the wheel or +/-, 0 fits.
 * Colours come from the VS Code theme variables and are re-read when the theme changes.
 */
import { nodeAt, type GraphLayout } from '../lib/graphLayout';
import type { Category, DrawGraph } from '../lib/graphModel';

interface Theme {
  background: string;
  foreground: string;
  muted: string;
  box: string;
  border: string;
  edge: string;
  focus: string;
  match: string;
  selected: string;
  font: string;
  category: Record<Category, string>;
}

function readTheme(): Theme {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-foreground', '#cccccc');
  return {
    background: v('--vscode-editor-background', '#1e1e1e'),
    foreground,
    muted: v('--vscode-descriptionForeground', foreground),
    box: v('--vscode-editorWidget-background', '#252526'),
    border: v('--vscode-editorWidget-border', foreground),
    edge: v('--vscode-editorLineNumber-foreground', '#858585'),
    focus: v('--vscode-focusBorder', '#007fd4'),
    match: v('--vscode-editor-findMatchHighlightBackground', '#ea5c0055'),
    selected: v('--vscode-list-activeSelectionBackground', '#04395e'),
    font: v('--vscode-font-family', 'sans-serif'),
    category: {
      io: v('--vscode-charts-foreground', foreground),
      compute: v('--vscode-charts-blue', '#3794ff'),
      activation: v('--vscode-charts-red', '#f14c4c'),
      norm: v('--vscode-charts-green', '#89d185'),
      shape: v('--vscode-charts-yellow', '#cca700'),
      control: v('--vscode-charts-purple', '#b180d7'),
      other: v('--vscode-charts-orange', '#d18616'),
    },
  };
}

const MIN_SCALE = 0.01;
const MAX_SCALE = 4;

export class GraphCanvas {
  readonly element: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private theme = readTheme();
  private draw: DrawGraph | undefined;
  private layout: GraphLayout | undefined;
  private progress: string | undefined;
  private scale = 1;
  private ox = 0;
  private oy = 0;
  private cssWidth = 1;
  private cssHeight = 1;
  private frame = 0;
  private matches = new Set<number>();
  private current = -1;
  private selected = -1;
  private drag: { x: number; y: number; ox: number; oy: number; moved: boolean } | undefined;

  constructor(private readonly onSelect: (box: number) => void) {
    this.element = document.createElement('canvas');
    this.element.className = 'insp-canvas';
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'img');
    this.element.setAttribute('aria-label', 'Model graph. Drag or arrow keys to pan, wheel or plus and minus to zoom, 0 to fit.');
    this.ctx = this.element.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;
    new ResizeObserver(() => this.resize()).observe(this.element);
    new MutationObserver(() => {
      this.theme = readTheme();
      this.request();
    }).observe(document.body, { attributes: true, attributeFilter: ['class', 'style', 'data-vscode-theme-id'] });
    this.element.addEventListener('pointerdown', (e) => this.pointerDown(e));
    this.element.addEventListener('pointermove', (e) => this.pointerMove(e));
    this.element.addEventListener('pointerup', (e) => this.pointerUp(e));
    this.element.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.element.addEventListener('keydown', (e) => this.key(e));
  }

  setGraph(draw: DrawGraph | undefined, layout: GraphLayout | undefined, progress?: string): void {
    const changed = draw !== this.draw;
    this.draw = draw;
    this.layout = layout;
    this.progress = progress;
    if (changed) {
      this.matches.clear();
      this.current = -1;
      this.selected = -1;
    }
    if (layout && changed) this.fit();
    this.request();
  }

  /** Layout landed for the graph already shown. */
  setLayout(layout: GraphLayout): void {
    this.layout = layout;
    this.progress = undefined;
    this.fit();
  }

  setProgress(text: string): void {
    this.progress = text;
    this.request();
  }

  setMatches(matches: number[], current: number): void {
    this.matches = new Set(matches);
    this.current = current;
    if (current >= 0) this.centreOn(current, Math.max(this.scale, 0.8));
    this.request();
  }

  select(box: number): void {
    this.selected = box;
    this.request();
  }

  fit(): void {
    const l = this.layout;
    if (!l || l.nodeCount === 0) return this.request();
    const pad = 24;
    const s = Math.min((this.cssWidth - 2 * pad) / Math.max(1, l.width), (this.cssHeight - 2 * pad) / Math.max(1, l.height), 1.5);
    this.scale = clamp(s, MIN_SCALE, MAX_SCALE);
    this.ox = l.width / 2 - this.cssWidth / 2 / this.scale;
    this.oy = l.height / 2 - this.cssHeight / 2 / this.scale;
    if (l.height * this.scale > this.cssHeight) this.oy = -pad / this.scale; // tall graphs: start at the top
    this.request();
  }

  zoom(factor: number, sx = this.cssWidth / 2, sy = this.cssHeight / 2): void {
    const next = clamp(this.scale * factor, MIN_SCALE, MAX_SCALE);
    const wx = this.ox + sx / this.scale;
    const wy = this.oy + sy / this.scale;
    this.scale = next;
    this.ox = wx - sx / next;
    this.oy = wy - sy / next;
    this.request();
  }

  centreOn(box: number, scale = this.scale): void {
    const l = this.layout;
    if (!l || box < 0 || box >= l.nodeCount) return;
    this.scale = clamp(scale, MIN_SCALE, MAX_SCALE);
    this.ox = l.x[box] - this.cssWidth / 2 / this.scale;
    this.oy = l.y[box] + l.nodeHeight / 2 - this.cssHeight / 2 / this.scale;
    this.request();
  }

  private resize(): void {
    const rect = this.element.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const first = this.cssWidth <= 1;
    this.cssWidth = Math.max(1, rect.width);
    this.cssHeight = Math.max(1, rect.height);
    this.element.width = Math.round(this.cssWidth * dpr);
    this.element.height = Math.round(this.cssHeight * dpr);
    if (first) this.fit();
    this.request();
  }

  private request(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  private paint(): void {
    const { ctx, theme: t } = this;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, this.cssWidth, this.cssHeight);
    const l = this.layout;
    const d = this.draw;
    if (!l || !d) {
      ctx.fillStyle = t.muted;
      ctx.font = `13px ${t.font}`;
      ctx.fillText(this.progress ?? '', 16, 24);
      return;
    }
    const s = this.scale;
    ctx.setTransform(dpr * s, 0, 0, dpr * s, -this.ox * s * dpr, -this.oy * s * dpr);
    const x0 = this.ox;
    const y0 = this.oy;
    const x1 = this.ox + this.cssWidth / s;
    const y1 = this.oy + this.cssHeight / s;
    const h = l.nodeHeight;
    const detailed = s * h >= 10;

    // edges: one path; curves only when they are big enough to see
    ctx.strokeStyle = t.edge;
    ctx.lineWidth = Math.max(1 / s, 1);
    ctx.beginPath();
    for (let e = 0; e < d.sources.length; e++) {
      const a = d.sources[e];
      const b = d.targets[e];
      const ax = l.x[a];
      const ay = l.y[a] + h;
      const bx = l.x[b];
      const by = l.y[b];
      if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) continue;
      ctx.moveTo(ax, ay);
      if (detailed) {
        const my = (ay + by) / 2;
        ctx.bezierCurveTo(ax, my, bx, my, bx, by);
      } else ctx.lineTo(bx, by);
    }
    ctx.stroke();

    // nodes: visible layers only, grouped by colour
    const k0 = Math.max(0, Math.floor(y0 / l.layerPitch));
    const k1 = Math.min(l.layerCount - 1, Math.floor(y1 / l.layerPitch));
    const visible: number[] = [];
    for (let k = k0; k <= k1; k++) {
      for (let i = l.layerStart[k]; i < l.layerStart[k + 1]; i++) {
        const v = l.layerNodes[i];
        const half = l.w[v] / 2;
        if (l.x[v] + half >= x0 && l.x[v] - half <= x1) visible.push(v);
      }
    }
    const byCategory = new Map<Category, number[]>();
    for (const v of visible) {
      const c = d.boxes[v].category;
      const list = byCategory.get(c);
      if (list) list.push(v);
      else byCategory.set(c, [v]);
    }
    if (detailed) {
      ctx.fillStyle = t.box;
      ctx.beginPath();
      for (const v of visible) ctx.rect(l.x[v] - l.w[v] / 2, l.y[v], l.w[v], h);
      ctx.fill();
      ctx.lineWidth = 2 / Math.max(s, 0.5);
      for (const [c, list] of byCategory) {
        ctx.strokeStyle = t.category[c];
        ctx.beginPath();
        for (const v of list) ctx.rect(l.x[v] - l.w[v] / 2, l.y[v], l.w[v], h);
        ctx.stroke();
      }
    } else {
      for (const [c, list] of byCategory) {
        ctx.fillStyle = t.category[c];
        ctx.beginPath();
        for (const v of list) ctx.rect(l.x[v] - l.w[v] / 2, l.y[v], l.w[v], h);
        ctx.fill();
      }
    }

    // highlights
    const ring = (v: number, colour: string, width: number): void => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width / s;
      const p = 3 / s;
      ctx.strokeRect(l.x[v] - l.w[v] / 2 - p, l.y[v] - p, l.w[v] + 2 * p, h + 2 * p);
    };
    if (this.matches.size) {
      ctx.fillStyle = t.match;
      for (const v of this.matches) ctx.fillRect(l.x[v] - l.w[v] / 2 - 4 / s, l.y[v] - 4 / s, l.w[v] + 8 / s, h + 8 / s);
    }
    if (this.current >= 0) ring(this.current, t.match, 3);
    if (this.selected >= 0) ring(this.selected, t.focus, 2);

    if (detailed && s >= 0.35) {
      ctx.fillStyle = t.foreground;
      ctx.font = `12px ${t.font}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (const v of visible) {
        const box = d.boxes[v];
        const label = box.label.length > 34 ? `${box.label.slice(0, 33)}…` : box.label;
        ctx.fillStyle = box.kind === 'op' ? t.foreground : t.muted;
        ctx.fillText(label, l.x[v], l.y[v] + h / 2, l.w[v] - 8);
      }
    }
  }

  private pointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.element.setPointerCapture(e.pointerId);
    this.drag = { x: e.clientX, y: e.clientY, ox: this.ox, oy: this.oy, moved: false };
  }

  private pointerMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
    if (!d.moved) return;
    this.ox = d.ox - dx / this.scale;
    this.oy = d.oy - dy / this.scale;
    this.element.classList.add('dragging');
    this.request();
  }

  private pointerUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = undefined;
    this.element.classList.remove('dragging');
    if (!d || d.moved || !this.layout) return;
    const rect = this.element.getBoundingClientRect();
    const v = nodeAt(this.layout, this.ox + (e.clientX - rect.left) / this.scale, this.oy + (e.clientY - rect.top) / this.scale);
    if (v >= 0) this.onSelect(v);
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.element.getBoundingClientRect();
    if (e.ctrlKey || Math.abs(e.deltaY) >= Math.abs(e.deltaX)) {
      this.zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX - rect.left, e.clientY - rect.top);
    } else {
      this.ox += e.deltaX / this.scale;
      this.request();
    }
  }

  private key(e: KeyboardEvent): void {
    const step = 60 / this.scale;
    const actions: Record<string, () => void> = {
      '+': () => this.zoom(1.25),
      '=': () => this.zoom(1.25),
      '-': () => this.zoom(0.8),
      '0': () => this.fit(),
      ArrowLeft: () => ((this.ox -= step), this.request()),
      ArrowRight: () => ((this.ox += step), this.request()),
      ArrowUp: () => ((this.oy -= step), this.request()),
      ArrowDown: () => ((this.oy += step), this.request()),
    };
    const action = actions[e.key];
    if (action && !e.altKey && !e.metaKey && !e.ctrlKey) {
      e.preventDefault();
      action();
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
