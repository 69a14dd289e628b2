/** The graph tab: breadcrumb, search, zoom buttons, the canvas and the side panel. */
import type { GraphLayout } from '../lib/graphLayout';
import type { InspectorGraph, InspectorTensorStats, InspectorValue } from '../../src/shared/inspectorProtocol';
import { h } from '../shared/dom';
import { GraphCanvas } from './graphCanvas';
import { buildDrawGraphSteps, searchGraph, type DrawGraph } from '../lib/graphModel';
import { runInSlices } from './runInSlices';
import { formatCount } from '../lib/format';
import { LayoutRunner } from './layoutRunner';
import { renderBoxPanel, showStats, showStatsError } from './nodePanel';
import { restoreEditFocus, type EditContext } from './editControls';

interface Level {
  graph: InspectorGraph;
  draw: DrawGraph;
  label: string;
  layout?: GraphLayout;
  /** The status line once laid out: boxes, edges, layout time. */
  status?: string;
}

/** Where a search stands: its matches (nodes first, then tensors) and the view before it began. */
interface Search {
  query: string;
  list: number[];
  nodeCount: number;
  tensorNames: string[];
  current: number;
  before: ReturnType<GraphCanvas['view']> | undefined;
}

/** Longest slice of page-thread work building a drawable graph. */
const SLICE_MS = 12;

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
  private search_: Search = { query: '', list: [], nodeCount: 0, tensorNames: [], current: -1, before: undefined };
  private showConstants = false;
  /** The box whose panel shows, -1 for none. */
  private selectedBox = -1;
  /** Id of the latest build of drawable graphs; an older one stops. */
  private building = 0;
  /** When the model was given, until its first view is painted. */
  private shownAt: number | undefined;
  private nextRequest = 1;
  private readonly pending = new Map<number, HTMLElement>();
  private edits: EditContext | undefined;

  /** `layoutWorkerUrl`: the layout worker bundle's URI; without it, layouts run on the page thread. */
  constructor(
    private readonly postStats: (requestId: number, graphId: string, tensor: string) => void,
    layoutWorkerUrl?: string,
  ) {
    this.runner = new LayoutRunner(layoutWorkerUrl);
    this.canvas = new GraphCanvas(
      (box) => this.select(box),
      ({ scale, labels }) => {
        // When the graph first showed after its tab opened (for the bench and tests): the time, the scale, legible or not.
        if (this.shownAt === undefined) return;
        const ms = performance.now() - this.shownAt;
        this.shownAt = undefined;
        Object.assign(this.element.dataset, {
          firstViewMs: ms.toFixed(0),
          firstViewScale: scale.toFixed(3),
          firstViewLabels: String(labels),
        });
      },
    );
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
        e.preventDefault();
        this.clearSearch();
      }
    });
    const constants = h('input', { type: 'checkbox', id: 'insp-constants' });
    constants.addEventListener('change', () => {
      this.showConstants = constants.checked;
      this.rebuild();
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
        tool('−', 'Zoom out (-)', () => this.canvas.zoom(0.8, undefined, undefined, true)),
        tool('+', 'Zoom in (+)', () => this.canvas.zoom(1.25, undefined, undefined, true)),
        tool('Fit', 'Fit the graph in view (0)', () => this.canvas.fit()),
        tool('⤒', 'Back to the inputs (Home)', () => this.canvas.home()),
        h(
          'label',
          { class: 'insp-toggle', title: 'Draw Constant nodes as boxes instead of folding them into the nodes that use them' },
          constants,
          ' Constants',
        ),
        this.status,
      ),
      h('div', { class: 'insp-graph-body' }, this.canvas.element, this.panel),
    );
  }

  /** A new model (first load or reload): back to the main graph. */
  setModel(graph: InspectorGraph): void {
    this.shownAt = performance.now();
    this.pending.clear();
    this.stack = [];
    this.push(graph, graph.name || 'main graph');
  }

  /** The document's pending edits: the selected node's panel shows them (focus kept on the control in use). */
  setEdits(edits: EditContext | undefined): void {
    this.edits = edits;
    if (this.selectedBox < 0 || !this.stack.length) return;
    this.select(this.selectedBox);
    restoreEditFocus(this.panel);
  }

  /** The view is dropped: stop its layout and its worker. */
  dispose(): void {
    this.runner.dispose();
  }

  /**
   * Measure Shapes' values for the main graph: into every level's table of values (subgraphs see the main
   * graph's tensors), then the canvas and the selected node's panel show them. The layout stays as it is.
   */
  addValues(values: readonly InspectorValue[]): void {
    for (const level of this.stack) for (const v of values) level.draw.values.set(v.name, v);
    this.canvas.redraw();
    const selected = this.selectedBox;
    if (selected >= 0 && this.stack.length) this.select(selected);
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
    this.buildLevels([{ graph, label }], this.stack);
  }

  /** The Constants toggle changed: every level is drawn again, and laid out when shown. */
  private rebuild(): void {
    this.buildLevels(
      this.stack.map((level) => ({ graph: level.graph, label: level.label })),
      [],
    );
  }

  /**
   * Builds the drawable graphs of `levels` on top of `base` in time slices (a 20,000-node graph takes tens
   * of milliseconds, too long to block the page), then shows the last one. A newer build cancels this one.
   */
  private buildLevels(levels: { graph: InspectorGraph; label: string }[], base: Level[]): void {
    const id = ++this.building;
    const options = { showConstants: this.showConstants };
    const steps = (function* (): Generator<number, Level[], void> {
      const built = [...base];
      for (const level of levels) {
        const draw = yield* buildDrawGraphSteps(level.graph, built.at(-1)?.draw, options);
        built.push({ graph: level.graph, draw, label: level.label });
      }
      return built;
    })();
    this.runner.cancel();
    this.canvas.setGraph(undefined, undefined, 'Reading the graph…');
    this.status.textContent = 'Reading the graph…';
    runInSlices(steps, SLICE_MS, () => id === this.building, {
      progress: (fraction) => this.canvas.setProgress(`Reading the graph… ${Math.round(fraction * 100)}%`),
      done: (stack) => {
        this.stack = stack;
        this.show();
      },
      failed: (message) => {
        const text = `Could not draw the graph: ${message}`;
        this.canvas.setProgress(text);
        this.status.textContent = text;
      },
    });
  }

  private show(): void {
    const level = this.stack[this.stack.length - 1];
    this.renderCrumbs();
    this.search_ = { query: '', list: [], nodeCount: 0, tensorNames: [], current: -1, before: undefined };
    this.selectedBox = -1;
    this.panel.replaceChildren(h('p', { class: 'muted' }, 'Click a node to see its attributes and tensors.'));
    const n = level.draw.boxes.length;
    if (level.layout) {
      this.canvas.setGraph(level.draw, level.layout);
      this.status.textContent = this.layoutStatus(level);
      this.find(0);
      return;
    }
    this.canvas.setGraph(level.draw, undefined, `Laying out ${formatCount(n)} boxes…`);
    this.status.textContent = 'Laying out…';
    this.runner.start(
      { nodeCount: n, sources: level.draw.sources, targets: level.draw.targets, widths: level.draw.widths, heights: level.draw.heights },
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
        level.status = `${formatCount(n)} boxes, ${formatCount(level.draw.sources.length)} edges · layout ${ms.toFixed(0)} ms ${where}`;
        this.status.textContent = level.status;
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
        this.building++;
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
    this.selectedBox = box;
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
        ...(this.stack.length === 1 && this.edits ? { edit: this.edits } : {}),
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

  /**
   * Recompute matches for the query; step -1/+1 moves to the previous/next one, 0 keeps the first. Nodes
   * (by name or op type) come first, then the tensors whose name matches, each list with its exact matches
   * first; the status line counts them apart.
   */
  private find(step: number): void {
    const level = this.stack[this.stack.length - 1];
    if (!level) return;
    const query = this.search.value.trim();
    if (!query) {
      if (this.search_.query) this.clearSearch(false);
      return;
    }
    const found = searchGraph(level.draw, query);
    const list = [...found.nodes, ...found.tensors];
    const prev = this.search_;
    const same = prev.query === query && prev.list.length === list.length && prev.list.every((m, i) => m === list[i]);
    let current = same ? prev.current : list.length ? 0 : -1;
    if (same && step !== 0 && list.length) current = (current + step + list.length) % list.length;
    this.search_ = {
      query,
      list,
      nodeCount: found.nodes.length,
      tensorNames: found.tensorNames,
      current,
      before: prev.before ?? this.canvas.view(),
    };
    if (!level.layout) return;
    const box = current >= 0 ? list[current] : -1;
    this.canvas.setMatches(list, box);
    if (box >= 0) this.select(box);
    this.status.textContent = this.searchStatus();
  }

  private layoutStatus(level: Level): string {
    return level.status ?? `${formatCount(level.draw.boxes.length)} boxes`;
  }

  private searchStatus(): string {
    const { list, nodeCount, tensorNames, current } = this.search_;
    if (!list.length) return 'No match';
    const nodes = `${formatCount(nodeCount)} node${nodeCount === 1 ? '' : 's'}`;
    const tensors = `${formatCount(tensorNames.length)} tensor${tensorNames.length === 1 ? '' : 's'}`;
    const where =
      current < nodeCount
        ? `node ${formatCount(current + 1)} of ${formatCount(nodeCount)}`
        : `tensor ${formatCount(current - nodeCount + 1)} of ${formatCount(tensorNames.length)} (${tensorNames[current - nodeCount]})`;
    return `${where} · ${nodes}, ${tensors}`;
  }

  /** Escape, or an emptied search box: no matches, no selection from the search, and the view from before it. */
  private clearSearch(clearBox = true): void {
    const before = this.search_.before;
    if (clearBox) this.search.value = '';
    this.search_ = { query: '', list: [], nodeCount: 0, tensorNames: [], current: -1, before: undefined };
    this.canvas.setMatches([], -1);
    this.canvas.select(-1);
    this.selectedBox = -1;
    this.panel.replaceChildren(h('p', { class: 'muted' }, 'Click a node to see its attributes and tensors.'));
    if (before) this.canvas.restore(before);
    const level = this.stack[this.stack.length - 1];
    if (level?.layout) this.status.textContent = this.layoutStatus(level);
  }
}
