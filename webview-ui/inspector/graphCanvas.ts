/**
 * Draws a laid-out graph on a <canvas>: only what is in view; labels, attributes and weight shapes once they
 * are legible; tensor shapes on edges when zoomed in; one path per colour when zoomed far out. Edges follow
 * the routes of the layout between the boxes, as splines. An overview in the corner shows the whole graph
 * and the part in view; click or drag it to move there.
 *
 * Pan by dragging or Shift+arrow keys, zoom with the wheel or +/-, 0 fits, Home goes back to the graph's inputs.
 * The arrow keys move the selection along the graph (up to a producer, down to a consumer, left and right in
 * the layer; graphNavigation.ts) and Enter opens the selected node's details, as a click does.
 * Zoom steps, Fit and jumps to a node are animated. Colours come from the VS Code theme variables and are
 * re-read when the theme changes.
 */
import { layerAtY, nodeAt, type GraphLayout } from '../lib/graphLayout';
import { shapeText, type Category, type DrawGraph } from '../lib/graphModel';
import { moveInGraph, nearestBox, type GraphMove } from '../lib/graphNavigation';

const MOVES: Record<string, GraphMove> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };

interface Theme {
  background: string;
  foreground: string;
  muted: string;
  box: string;
  border: string;
  edge: string;
  focus: string;
  error: string;
  match: string;
  selected: string;
  font: string;
  mono: string;
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
    error: v('--vscode-errorForeground', '#f48771'),
    match: v('--vscode-editor-findMatchHighlightBackground', '#ea5c0055'),
    selected: v('--vscode-list-activeSelectionBackground', '#04395e'),
    font: v('--vscode-font-family', 'sans-serif'),
    mono: v('--vscode-editor-font-family', 'monospace'),
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

/** Zoom range; Fit may go below MIN_SCALE for a huge graph so it is always wholly shown. */
const MIN_SCALE = 0.02;
const MAX_SCALE = 4;
/** The scale the graph opens at when it does not fit: 12 px labels at 11 px. */
export const READABLE_SCALE = 0.9;
/** From these scales on: op labels, detail lines, tensor shapes on edges. */
const LABEL_SCALE = 0.45;
const DETAIL_SCALE = 0.6;
const EDGE_LABEL_SCALE = 0.85;
const ANIMATION_MS = 220;
const OVERVIEW_WIDTH = 96;

interface View {
  scale: number;
  ox: number;
  oy: number;
}

export class GraphCanvas {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly overview: HTMLCanvasElement;
  private overviewImage: HTMLCanvasElement | undefined;
  private theme = readTheme();
  private draw: DrawGraph | undefined;
  private layout: GraphLayout | undefined;
  /** Bounding box of each edge's route: minX, maxX, minY, maxY. */
  private edgeBox = new Float64Array(0);
  /** Where each edge enters its target's top: spread along it, in the order the edges arrive from. */
  private entryX = new Float64Array(0);
  /** Edges that label their tensor's shape (one per producer and tensor), just below the producer. */
  private labelled = new Uint8Array(0);
  private progress: string | undefined;
  private scale = 1;
  private ox = 0;
  private oy = 0;
  private cssWidth = 1;
  private cssHeight = 1;
  private frame = 0;
  private animation: { from: View; to: View; t0: number } | undefined;
  private matches = new Set<number>();
  private current = -1;
  private selected = -1;
  private hovered = -1;
  private drag: { x: number; y: number; ox: number; oy: number; moved: boolean } | undefined;
  private overviewDrag = false;
  /** A layout landed and has not been painted yet. */
  private firstPaint = false;
  /** Says which box the arrow keys moved to, for screen readers. */
  private readonly announcer = document.createElement('span');

  /** `onFirstPaint`: called once a new layout is on screen, with the scale it is drawn at and whether its labels show. */
  constructor(
    private readonly onSelect: (box: number) => void,
    private readonly onFirstPaint: (view: { scale: number; labels: boolean }) => void = () => undefined,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'insp-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute(
      'aria-label',
      'Model graph. Arrow keys move the selection along the graph, Enter shows the selected node; drag or Shift and arrow keys to pan, wheel or plus and minus to zoom, 0 to fit, Home for the inputs.',
    );
    this.ctx = this.canvas.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;
    this.overview = document.createElement('canvas');
    this.overview.className = 'insp-overview';
    this.overview.setAttribute('role', 'img');
    this.overview.setAttribute('aria-label', 'Overview of the whole graph; the frame is the part in view. Click to move there.');
    this.element = document.createElement('div');
    this.element.className = 'insp-canvas-box';
    this.announcer.className = 'insp-sr';
    this.announcer.setAttribute('aria-live', 'polite');
    this.element.append(this.canvas, this.overview, this.announcer);
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    new MutationObserver(() => {
      this.theme = readTheme();
      this.overviewImage = undefined;
      this.request();
    }).observe(document.body, { attributes: true, attributeFilter: ['class', 'style', 'data-vscode-theme-id'] });
    this.canvas.addEventListener('pointerdown', (e) => this.pointerDown(e));
    this.canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    this.canvas.addEventListener('pointerup', (e) => this.pointerUp(e));
    this.canvas.addEventListener('pointerleave', () => this.hover(-1));
    this.canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.canvas.addEventListener('keydown', (e) => this.key(e));
    this.overview.addEventListener('pointerdown', (e) => {
      this.overviewDrag = true;
      this.overview.setPointerCapture(e.pointerId);
      this.overviewMove(e);
    });
    this.overview.addEventListener('pointermove', (e) => this.overviewDrag && this.overviewMove(e));
    this.overview.addEventListener('pointerup', () => (this.overviewDrag = false));
  }

  setGraph(draw: DrawGraph | undefined, layout: GraphLayout | undefined, progress?: string): void {
    const changed = draw !== this.draw;
    this.draw = draw;
    this.progress = progress;
    if (changed) {
      this.matches.clear();
      this.current = -1;
      this.selected = -1;
      this.hovered = -1;
    }
    if (layout && (changed || layout !== this.layout)) this.useLayout(layout);
    else if (!layout) this.layout = undefined;
    this.request();
  }

  /** Values changed (Measure Shapes): the labels are drawn again, the layout stays. */
  redraw(): void {
    this.request();
  }

  /** Layout landed for the graph already shown. */
  setLayout(layout: GraphLayout): void {
    this.progress = undefined;
    this.useLayout(layout);
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

  /** The current view, to come back to (search's Escape). */
  view(): View {
    return { scale: this.scale, ox: this.ox, oy: this.oy };
  }

  restore(view: View): void {
    this.animateTo(view);
  }

  /** The whole graph in view. */
  fit(animate = true): void {
    const l = this.layout;
    if (!l || l.nodeCount === 0) return this.request();
    const pad = 24;
    const s = Math.min((this.cssWidth - 2 * pad) / Math.max(1, l.width), (this.cssHeight - 2 * pad) / Math.max(1, l.height), 1.5);
    const scale = Math.min(MAX_SCALE, Math.max(1e-4, s));
    const to = { scale, ox: l.width / 2 - this.cssWidth / 2 / scale, oy: l.height / 2 - this.cssHeight / 2 / scale };
    if (animate) this.animateTo(to);
    else this.jump(to);
  }

  /** The first view of a graph: all of it when it fits at a readable scale, else its inputs at that scale. */
  home(animate = true): void {
    const l = this.layout;
    if (!l || l.nodeCount === 0) return this.request();
    const pad = 24;
    const fits = Math.min((this.cssWidth - 2 * pad) / Math.max(1, l.width), (this.cssHeight - 2 * pad) / Math.max(1, l.height));
    if (fits >= READABLE_SCALE) return this.fit(animate);
    const scale = READABLE_SCALE;
    // Centre on the boxes of the first layer (the graph's inputs, or its first operators).
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = l.layerStart[0]; i < l.layerStart[1]; i++) {
      const v = l.layerNodes[i];
      lo = Math.min(lo, l.x[v] - l.w[v] / 2);
      hi = Math.max(hi, l.x[v] + l.w[v] / 2);
    }
    const to = { scale, ox: (lo + hi) / 2 - this.cssWidth / 2 / scale, oy: -pad / scale };
    if (animate) this.animateTo(to);
    else this.jump(to);
  }

  zoom(factor: number, sx = this.cssWidth / 2, sy = this.cssHeight / 2, animate = false): void {
    const base = this.animation?.to ?? this.view();
    const next = clamp(base.scale * factor, Math.min(MIN_SCALE, base.scale), MAX_SCALE);
    const wx = base.ox + sx / base.scale;
    const wy = base.oy + sy / base.scale;
    const to = { scale: next, ox: wx - sx / next, oy: wy - sy / next };
    if (animate) this.animateTo(to);
    else this.jump(to);
  }

  centreOn(box: number, scale = this.scale): void {
    const l = this.layout;
    if (!l || box < 0 || box >= l.nodeCount) return;
    const s = clamp(scale, MIN_SCALE, MAX_SCALE);
    this.animateTo({ scale: s, ox: l.x[box] - this.cssWidth / 2 / s, oy: l.y[box] + l.h[box] / 2 - this.cssHeight / 2 / s });
  }

  private useLayout(layout: GraphLayout): void {
    this.layout = layout;
    this.firstPaint = true;
    this.overviewImage = undefined;
    const m = layout.routeStart.length - 1;
    const box = new Float64Array(4 * m);
    const d = this.draw;
    if (d) {
      for (let e = 0; e < m; e++) {
        const a = d.sources[e];
        const b = d.targets[e];
        let x0 = Math.min(layout.x[a], layout.x[b]);
        let x1 = Math.max(layout.x[a], layout.x[b]);
        for (let p = layout.routeStart[e]; p < layout.routeStart[e + 1]; p++) {
          x0 = Math.min(x0, layout.routeX[p]);
          x1 = Math.max(x1, layout.routeX[p]);
        }
        box[4 * e] = x0;
        box[4 * e + 1] = x1;
        box[4 * e + 2] = Math.min(layout.y[a] + layout.h[a], layout.y[b]);
        box[4 * e + 3] = Math.max(layout.y[a] + layout.h[a], layout.y[b]);
      }
    }
    this.edgeBox = box;
    this.entryX = new Float64Array(m);
    this.labelled = new Uint8Array(m);
    if (d) {
      const incoming = new Map<number, number[]>();
      const seen = new Set<string>();
      for (let e = 0; e < m; e++) {
        const list = incoming.get(d.targets[e]);
        if (list) list.push(e);
        else incoming.set(d.targets[e], [e]);
        const key = `${d.sources[e]}\u0000${d.edgeTensors[e]}`;
        if (!seen.has(key)) {
          seen.add(key);
          this.labelled[e] = 1;
        }
      }
      /** The x an edge comes from just above its target: its last route point, else its source. */
      const from = (e: number): number =>
        layout.routeStart[e + 1] > layout.routeStart[e] ? layout.routeX[layout.routeStart[e + 1] - 1] : layout.x[d.sources[e]];
      for (const [target, edges] of incoming) {
        edges.sort((a, b) => from(a) - from(b));
        const step = Math.min(16, layout.w[target] / (edges.length + 1));
        edges.forEach((e, i) => (this.entryX[e] = layout.x[target] + (i - (edges.length - 1) / 2) * step));
      }
    }
    this.home(false);
  }

  private jump(to: View): void {
    this.animation = undefined;
    this.scale = to.scale;
    this.ox = to.ox;
    this.oy = to.oy;
    this.request();
  }

  /** Moves to a view over ANIMATION_MS, zooming in log scale about the points that stay put. */
  private animateTo(to: View): void {
    if (window.matchMedia?.('(prefers-reduced-motion: reduce)').matches) return this.jump(to);
    this.animation = { from: this.view(), to, t0: performance.now() };
    this.request();
  }

  private step(now: number): void {
    const a = this.animation;
    if (!a) return;
    const t = Math.min(1, (now - a.t0) / ANIMATION_MS);
    const e = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
    const scale = Math.exp(Math.log(a.from.scale) + (Math.log(a.to.scale) - Math.log(a.from.scale)) * e);
    // The world point at the screen centre moves linearly from one view's centre to the other's.
    const cx = (v: View): number => v.ox + this.cssWidth / 2 / v.scale;
    const cy = (v: View): number => v.oy + this.cssHeight / 2 / v.scale;
    const wx = cx(a.from) + (cx(a.to) - cx(a.from)) * e;
    const wy = cy(a.from) + (cy(a.to) - cy(a.from)) * e;
    this.scale = scale;
    this.ox = wx - this.cssWidth / 2 / scale;
    this.oy = wy - this.cssHeight / 2 / scale;
    if (t >= 1) {
      this.animation = undefined;
      this.scale = a.to.scale;
      this.ox = a.to.ox;
      this.oy = a.to.oy;
    } else this.request();
  }

  private resize(): void {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const first = this.cssWidth <= 1;
    this.cssWidth = Math.max(1, rect.width);
    this.cssHeight = Math.max(1, rect.height);
    this.canvas.width = Math.round(this.cssWidth * dpr);
    this.canvas.height = Math.round(this.cssHeight * dpr);
    this.overviewImage = undefined;
    if (first) this.home(false);
    this.request();
  }

  private request(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame((now) => {
      this.frame = 0;
      this.step(now);
      this.paint();
      this.paintOverview();
      if (this.firstPaint && this.layout && this.draw) {
        this.firstPaint = false;
        this.onFirstPaint({ scale: this.scale, labels: this.scale >= LABEL_SCALE });
      }
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
    // The view, for tests to read: scale and the world point at the top left.
    this.element.dataset.view = `${s.toFixed(4)} ${this.ox.toFixed(1)} ${this.oy.toFixed(1)}`;
    ctx.setTransform(dpr * s, 0, 0, dpr * s, -this.ox * s * dpr, -this.oy * s * dpr);
    const x0 = this.ox;
    const y0 = this.oy;
    const x1 = this.ox + this.cssWidth / s;
    const y1 = this.oy + this.cssHeight / s;
    const detailed = s >= 0.25;

    // edges: one path; splines through the route when big enough to see, polylines below that
    if (s >= 0.03) {
      ctx.strokeStyle = t.edge;
      ctx.lineWidth = Math.max(1 / s, 1);
      ctx.beginPath();
      const box = this.edgeBox;
      for (let e = 0; e < d.sources.length; e++) {
        if (box[4 * e + 1] < x0 || box[4 * e] > x1 || box[4 * e + 3] < y0 || box[4 * e + 2] > y1) continue;
        const a = d.sources[e];
        const b = d.targets[e];
        let px = l.x[a];
        let py = l.y[a] + l.h[a];
        ctx.moveTo(px, py);
        const curveTo = (qx: number, qy: number): void => {
          if (detailed) {
            const my = (py + qy) / 2;
            ctx.bezierCurveTo(px, my, qx, my, qx, qy);
          } else ctx.lineTo(qx, qy);
        };
        for (let p = l.routeStart[e]; p < l.routeStart[e + 1]; p += 2) {
          curveTo(l.routeX[p], l.routeY[p]);
          ctx.lineTo(l.routeX[p + 1], l.routeY[p + 1]);
          px = l.routeX[p + 1];
          py = l.routeY[p + 1];
        }
        curveTo(this.entryX[e], l.y[b]);
      }
      ctx.stroke();
    }

    // nodes: visible layers only, grouped by colour
    const k0 = Math.max(0, layerAtY(l, y0));
    const k1 = Math.min(l.layerCount - 1, Math.max(0, layerAtY(l, y1)));
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
      for (const v of visible) ctx.rect(l.x[v] - l.w[v] / 2, l.y[v], l.w[v], l.h[v]);
      ctx.fill();
      ctx.lineWidth = 2 / Math.max(s, 0.5);
      for (const [c, list] of byCategory) {
        ctx.strokeStyle = t.category[c];
        ctx.beginPath();
        for (const v of list) ctx.rect(l.x[v] - l.w[v] / 2, l.y[v], l.w[v], l.h[v]);
        ctx.stroke();
      }
    } else {
      for (const [c, list] of byCategory) {
        ctx.fillStyle = t.category[c];
        ctx.beginPath();
        // at least a screen pixel high, so a fitted huge graph still shows every box
        const minH = 1 / s;
        for (const v of list) ctx.rect(l.x[v] - l.w[v] / 2, l.y[v], l.w[v], Math.max(l.h[v], minH));
        ctx.fill();
      }
    }

    // highlights
    const ring = (v: number, colour: string, width: number): void => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width / s;
      const p = 3 / s;
      ctx.strokeRect(l.x[v] - l.w[v] / 2 - p, l.y[v] - p, l.w[v] + 2 * p, l.h[v] + 2 * p);
    };
    if (this.matches.size) {
      ctx.fillStyle = t.match;
      for (const v of this.matches) ctx.fillRect(l.x[v] - l.w[v] / 2 - 4 / s, l.y[v] - 4 / s, l.w[v] + 8 / s, l.h[v] + 8 / s);
    }
    if (this.hovered >= 0 && this.hovered !== this.selected) ring(this.hovered, t.border, 1);
    if (this.current >= 0) ring(this.current, t.match, 3);
    if (this.selected >= 0) ring(this.selected, t.focus, 2);

    if (s >= LABEL_SCALE) {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      const details = s >= DETAIL_SCALE;
      for (const v of visible) {
        const box = d.boxes[v];
        const label = box.label.length > 40 ? `${box.label.slice(0, 39)}…` : box.label;
        ctx.fillStyle = box.kind === 'op' ? t.foreground : t.muted;
        ctx.font = box.kind === 'op' ? `600 12px ${t.font}` : `12px ${t.mono}`;
        ctx.fillText(label, l.x[v], l.y[v] + 12, l.w[v] - 8);
        if (!details || !box.details.length) continue;
        ctx.fillStyle = t.muted;
        ctx.font = `11px ${t.mono}`;
        box.details.forEach((line, i) => ctx.fillText(line, l.x[v], l.y[v] + 24 + 14 * i + 5, l.w[v] - 8));
      }
    }

    // tensor types and shapes, just below the node producing them (once per tensor)
    if (s >= EDGE_LABEL_SCALE) {
      ctx.font = `10px ${t.mono}`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      for (let e = 0; e < d.sources.length; e++) {
        if (!this.labelled[e]) continue;
        const a = d.sources[e];
        const ex = l.x[a];
        const ey = l.y[a] + l.h[a];
        if (ex < x0 - 200 || ex > x1 || ey < y0 - 20 || ey > y1) continue;
        const value = d.values.get(d.edgeTensors[e]);
        if (!value?.shape) continue;
        // Measured shapes in the text colour; a tensor where NaN or Inf appeared in the error colour, with the counts.
        const bad = value.stats ? value.stats.nanCount + value.stats.infCount : 0;
        ctx.fillStyle = bad ? t.error : value.source === 'measured' ? t.foreground : t.muted;
        const type = `${value.elemTypeName ? `${value.elemTypeName} ` : ''}${shapeText(value.shape)}`;
        ctx.fillText(bad ? `${type} · NaN/Inf ${bad}` : type, ex + 5, ey + 3);
      }
    }
  }

  /** The overview: the whole graph drawn once per layout into an image, then the frame of the view. */
  private paintOverview(): void {
    const l = this.layout;
    const d = this.draw;
    const show = !!l && !!d && l.nodeCount > 1 && (l.width * this.scale > this.cssWidth || l.height * this.scale > this.cssHeight);
    this.overview.hidden = !show;
    if (!show || !l || !d) return;
    const maxH = Math.max(60, this.cssHeight - 24);
    const k = Math.min(OVERVIEW_WIDTH / Math.max(1, l.width), maxH / Math.max(1, l.height));
    const w = Math.max(24, Math.ceil(l.width * k));
    const h = Math.max(24, Math.ceil(l.height * k));
    const dpr = window.devicePixelRatio || 1;
    if (!this.overviewImage || this.overviewImage.width !== Math.round(w * dpr) || this.overviewImage.height !== Math.round(h * dpr)) {
      const image = document.createElement('canvas');
      image.width = Math.round(w * dpr);
      image.height = Math.round(h * dpr);
      const c = image.getContext('2d') as CanvasRenderingContext2D;
      c.setTransform(dpr * k, 0, 0, dpr * k, 0, 0);
      const byCategory = new Map<Category, number[]>();
      for (let v = 0; v < l.nodeCount; v++) {
        const cat = d.boxes[v].category;
        const list = byCategory.get(cat);
        if (list) list.push(v);
        else byCategory.set(cat, [v]);
      }
      const minW = 1 / k;
      for (const [cat, list] of byCategory) {
        c.fillStyle = this.theme.category[cat];
        c.beginPath();
        for (const v of list) c.rect(l.x[v] - l.w[v] / 2, l.y[v], Math.max(l.w[v], minW), Math.max(l.h[v], minW));
        c.fill();
      }
      this.overviewImage = image;
    }
    if (this.overview.width !== Math.round(w * dpr) || this.overview.height !== Math.round(h * dpr)) {
      this.overview.width = Math.round(w * dpr);
      this.overview.height = Math.round(h * dpr);
      this.overview.style.width = `${w}px`;
      this.overview.style.height = `${h}px`;
    }
    const c = this.overview.getContext('2d') as CanvasRenderingContext2D;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.fillStyle = this.theme.background;
    c.fillRect(0, 0, this.overview.width, this.overview.height);
    c.drawImage(this.overviewImage, 0, 0);
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.strokeStyle = this.theme.focus;
    c.lineWidth = 1.5;
    const fx = this.ox * k;
    const fy = this.oy * k;
    const fw = Math.max(3, (this.cssWidth / this.scale) * k);
    const fh = Math.max(3, (this.cssHeight / this.scale) * k);
    c.strokeRect(fx, fy, fw, fh);
  }

  private overviewMove(e: PointerEvent): void {
    const l = this.layout;
    if (!l) return;
    const rect = this.overview.getBoundingClientRect();
    const k = rect.width / Math.max(1, l.width);
    const wx = (e.clientX - rect.left) / k;
    const wy = (e.clientY - rect.top) / k;
    this.jump({ scale: this.scale, ox: wx - this.cssWidth / 2 / this.scale, oy: wy - this.cssHeight / 2 / this.scale });
  }

  private boxAtEvent(e: PointerEvent): number {
    if (!this.layout) return -1;
    const rect = this.canvas.getBoundingClientRect();
    return nodeAt(this.layout, this.ox + (e.clientX - rect.left) / this.scale, this.oy + (e.clientY - rect.top) / this.scale);
  }

  private hover(v: number): void {
    if (v === this.hovered) return;
    this.hovered = v;
    const box = v >= 0 ? this.draw?.boxes[v] : undefined;
    // The native tooltip: the node's name, which the box does not show.
    this.canvas.title = box ? (box.kind === 'op' ? `${box.name || '(unnamed node)'} · ${box.label}` : box.name) : '';
    this.request();
  }

  private pointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.animation = undefined;
    this.drag = { x: e.clientX, y: e.clientY, ox: this.ox, oy: this.oy, moved: false };
  }

  private pointerMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return this.hover(this.boxAtEvent(e));
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
    if (!d.moved) return;
    this.ox = d.ox - dx / this.scale;
    this.oy = d.oy - dy / this.scale;
    this.canvas.classList.add('dragging');
    this.request();
  }

  private pointerUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = undefined;
    this.canvas.classList.remove('dragging');
    if (!d || d.moved) return;
    const v = this.boxAtEvent(e);
    if (v >= 0) this.onSelect(v);
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    if (e.ctrlKey || Math.abs(e.deltaY) >= Math.abs(e.deltaX)) {
      this.zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX - rect.left, e.clientY - rect.top);
    } else {
      this.ox += e.deltaX / this.scale;
      this.request();
    }
  }

  /** Moves the selection with the keyboard (from the box nearest the view's centre when none is selected). */
  private moveSelection(move: GraphMove): void {
    const l = this.layout;
    const d = this.draw;
    if (!l || !d) return;
    const next =
      this.selected < 0 || this.selected >= l.nodeCount
        ? nearestBox(l, this.ox + this.cssWidth / 2 / this.scale, this.oy + this.cssHeight / 2 / this.scale)
        : moveInGraph(l, d, this.selected, move);
    if (next < 0) return;
    this.selected = next;
    const box = d.boxes[next];
    const what = box.kind === 'op' ? `${box.label} ${box.name || '(unnamed node)'}` : `graph ${box.kind} ${box.name}`;
    this.announcer.textContent = `${what}. Enter shows its details.`;
    this.element.dataset.cursor = String(next);
    const margin = 20 / this.scale;
    const left = this.ox + margin;
    const top = this.oy + margin;
    const right = this.ox + this.cssWidth / this.scale - margin;
    const bottom = this.oy + this.cssHeight / this.scale - margin;
    const inView =
      l.x[next] - l.w[next] / 2 >= left && l.x[next] + l.w[next] / 2 <= right && l.y[next] >= top && l.y[next] + l.h[next] <= bottom;
    if (!inView) this.centreOn(next);
    this.request();
  }

  private key(e: KeyboardEvent): void {
    if (e.altKey || e.metaKey || e.ctrlKey) return;
    const move = MOVES[e.key];
    if (move && !e.shiftKey) {
      e.preventDefault();
      this.moveSelection(move);
      return;
    }
    if ((e.key === 'Enter' || e.key === ' ') && this.selected >= 0) {
      e.preventDefault();
      this.onSelect(this.selected);
      return;
    }
    const step = 60 / this.scale;
    const pan = (dx: number, dy: number) => (): void => this.jump({ scale: this.scale, ox: this.ox + dx, oy: this.oy + dy });
    const actions: Record<string, () => void> = {
      '+': () => this.zoom(1.25, undefined, undefined, true),
      '=': () => this.zoom(1.25, undefined, undefined, true),
      '-': () => this.zoom(0.8, undefined, undefined, true),
      '0': () => this.fit(),
      Home: () => this.home(),
      ArrowLeft: pan(-step, 0),
      ArrowRight: pan(step, 0),
      ArrowUp: pan(0, -step),
      ArrowDown: pan(0, step),
    };
    const action = actions[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
