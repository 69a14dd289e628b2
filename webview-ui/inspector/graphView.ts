/** The graph tab: breadcrumb, search, zoom buttons, the canvas and the side panel. */
import type { GraphLayout } from '../lib/graphLayout';
import type { InspectorGraph, InspectorTensorStats } from '../../src/shared/inspectorProtocol';
import { h } from '../shared/dom';
import { GraphCanvas } from './graphCanvas';
import { buildDrawGraph, searchBoxes, type DrawGraph } from '../lib/graphModel';
import { formatCount } from '../lib/format';
import { LayoutRunner } from './layoutRunner';
import { renderBoxPanel, showStats, showStatsError } from './nodePanel';

interface Level {
  draw: DrawGraph;
  label: string;
  layout?: GraphLayout;
}

export class GraphView {
  readonly element: HTMLElement;
  private readonly canvas: GraphCanvas;
  private readonly runner: LayoutRunner;
  private readonly crumbs = h('nav', { class: 'insp-crumbs', 'aria-label': 'Graph and subgraphs' });
  private readonly status = h('span', { class: 'muted insp-status', 'aria-live': 'polite' });
  private readonly search = h('input', {
    type: 'search',
    class: 'insp-search',
    placeholder: 'Find node or tensor',
    'aria-label': 'Find node or tensor',
  });
  private readonly panel = h('aside', { class: 'insp-panel', 'aria-label': 'Selected node' });
  private stack: Level[] = [];
  private matches: number[] = [];
  private current = -1;
  private nextRequest = 1;
  private readonly pending = new Map<number, HTMLElement>();

  /** `layoutWorkerUrl`: the layout worker bundle's URI; without it, layouts run on the page thread. */
  constructor(
    private readonly postStats: (requestId: number, graphId: string, tensor: string) => void,
    layoutWorkerUrl?: string,
  ) {
    this.runner = new LayoutRunner(layoutWorkerUrl);
    this.canvas = new GraphCanvas((box) => this.select(box));
    const tool = (label: string, title: string, run: () => void): HTMLButtonElement => {
      const b = h('button', { type: 'button', class: 'insp-button secondary small', title, 'aria-label': title }, label);
      b.addEventListener('click', run);
      return b;
    };
    this.search.addEventListener('input', () => this.find(0));
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.find(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.search.value = '';
        this.find(0);
      }
    });
    this.panel.append(h('p', { class: 'muted' }, 'Click a node to see its attributes and tensors.'));
    this.element = h(
      'div',
      { class: 'insp-graph' },
      h(
        'div',
        { class: 'insp-graph-bar' },
        this.crumbs,
        this.search,
        tool('↑', 'Previous match (Shift+Enter)', () => this.find(-1)),
        tool('↓', 'Next match (Enter)', () => this.find(1)),
        tool('−', 'Zoom out (-)', () => this.canvas.zoom(0.8)),
        tool('+', 'Zoom in (+)', () => this.canvas.zoom(1.25)),
        tool('Fit', 'Fit the graph in view (0)', () => this.canvas.fit()),
        this.status,
      ),
      h('div', { class: 'insp-graph-body' }, this.canvas.element, this.panel),
    );
  }

  /** A new model (first load or reload): back to the main graph. */
  setModel(graph: InspectorGraph): void {
    this.pending.clear();
    this.stack = [];
    this.push(graph, graph.name || 'main graph');
  }

  /** The view is dropped: stop its layout and its worker. */
  dispose(): void {
    this.runner.dispose();
  }

  onStats(requestId: number, stats: InspectorTensorStats): void {
    const target = this.pending.get(requestId);
    this.pending.delete(requestId);
    if (target) showStats(target, stats);
  }

  onStatsError(requestId: number, message: string): void {
    const target = this.pending.get(requestId);
    this.pending.delete(requestId);
    if (target) showStatsError(target, message);
  }

  private push(graph: InspectorGraph, label: string): void {
    const outer = this.stack.at(-1)?.draw;
    this.stack.push({ draw: buildDrawGraph(graph, outer), label });
    this.show();
  }

  private show(): void {
    const level = this.stack[this.stack.length - 1];
    this.renderCrumbs();
    this.matches = [];
    this.current = -1;
    this.panel.replaceChildren(h('p', { class: 'muted' }, 'Click a node to see its attributes and tensors.'));
    const n = level.draw.boxes.length;
    if (level.layout) {
      this.canvas.setGraph(level.draw, level.layout);
      this.status.textContent = `${formatCount(n)} boxes`;
      this.find(0);
      return;
    }
    this.canvas.setGraph(level.draw, undefined, `Laying out ${formatCount(n)} boxes…`);
    this.status.textContent = 'Laying out…';
    this.runner.start(
      { nodeCount: n, sources: level.draw.sources, targets: level.draw.targets, widths: level.draw.widths },
      (p) => {
        const text = `Laying out ${formatCount(n)} boxes… ${Math.round(p.fraction * 100)}%`;
        this.canvas.setProgress(text);
        this.status.textContent = text;
      },
      (layout, ms, place) => {
        level.layout = layout;
        if (this.stack[this.stack.length - 1] !== level) return;
        this.canvas.setLayout(layout);
        const where = place === 'worker' ? 'in a worker' : 'on the page';
        this.status.textContent = `${formatCount(n)} boxes, ${formatCount(level.draw.sources.length)} edges · layout ${ms.toFixed(0)} ms ${where}`;
        this.status.title = place === 'page' && this.runner.fallbackReason ? `No layout worker: ${this.runner.fallbackReason}` : '';
        this.find(0);
      },
      (message) => {
        if (this.stack[this.stack.length - 1] !== level) return;
        const text = `Layout failed: ${message}`;
        this.canvas.setProgress(text);
        this.status.textContent = text;
      },
    );
  }

  private renderCrumbs(): void {
    const items = this.stack.map((level, i) => {
      if (i === this.stack.length - 1) return h('span', { 'aria-current': 'page', class: 'mono' }, level.label);
      const b = h('button', { type: 'button', class: 'insp-link mono' }, level.label);
      b.addEventListener('click', () => {
        this.stack = this.stack.slice(0, i + 1);
        this.show();
      });
      return b;
    });
    this.crumbs.replaceChildren(
      ...items.flatMap((item, i) => (i === 0 ? [item] : [h('span', { class: 'muted', 'aria-hidden': 'true' }, ' › '), item])),
    );
  }

  private select(box: number): void {
    const level = this.stack[this.stack.length - 1];
    this.canvas.select(box);
    this.panel.replaceChildren(
      renderBoxPanel(level.draw, box, {
        requestStats: (graphId, tensor, target) => {
          const id = this.nextRequest++;
          this.pending.set(id, target);
          target.replaceChildren(h('p', { class: 'muted' }, 'Reading…'));
          this.postStats(id, graphId, tensor);
        },
        openSubgraph: (graph, label) => this.push(graph, label),
        goToTensor: (tensor) => {
          const p = level.draw.producer.get(tensor);
          if (p !== undefined) {
            this.select(p);
            this.canvas.centreOn(p);
          }
        },
      }),
    );
  }

  /** Recompute matches for the query; step -1/+1 moves to the previous/next one, 0 keeps the first. */
  private find(step: number): void {
    const level = this.stack[this.stack.length - 1];
    if (!level) return;
    const query = this.search.value;
    const matches = searchBoxes(level.draw, query);
    const same = matches.length === this.matches.length && matches.every((m, i) => m === this.matches[i]);
    this.matches = matches;
    if (!same || this.current < 0) this.current = matches.length ? 0 : -1;
    else if (step !== 0 && matches.length) this.current = (this.current + step + matches.length) % matches.length;
    if (!level.layout) return;
    const box = this.current >= 0 ? matches[this.current] : -1;
    this.canvas.setMatches(matches, box);
    if (box >= 0) this.select(box);
    if (query.trim()) this.status.textContent = matches.length ? `${this.current + 1} of ${formatCount(matches.length)}` : 'No match';
  }
}
