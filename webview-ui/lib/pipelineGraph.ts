/**
 * The pipeline view's drawing model: stages as boxes laid out top to bottom by the inspector's layered layout
 * (graphLayout.ts), edges from a stage to the stages that depend on its outs, with their routes, and a frame
 * around the stages one foreach/matrix entry expanded to. Pure: no DOM, so unit tests run it in Node.
 */
import { layoutGraph, type GraphLayout } from './graphLayout';

export interface GraphStage {
  name: string;
  group?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  paths: string[];
}

export interface Point {
  x: number;
  y: number;
}

export interface StageBox {
  name: string;
  /** Left, top, width, height in the drawing's coordinates (0,0 at its top left, padding included). */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface EdgePath {
  from: string;
  to: string;
  paths: string[];
  /** From the bottom centre of `from` through the routing points to the top centre of `to`. */
  points: Point[];
}

export interface GroupFrame {
  group: string;
  members: string[];
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PipelineDrawing {
  boxes: StageBox[];
  edges: EdgePath[];
  groups: GroupFrame[];
  width: number;
  height: number;
  /** For keyboard moves (graphNavigation.ts): the layout, and the edges as box indices. */
  layout: GraphLayout;
  sources: Int32Array;
  targets: Int32Array;
}

export interface DrawingOptions {
  boxWidth?: number;
  boxHeight?: number;
  /** Space around the drawing, and between a group's frame and its boxes. */
  padding?: number;
  groupPadding?: number;
}

/** Box width for a stage name: room for its state icon and about 7.5 px a character, within [200, 320]. */
export function stageBoxWidth(name: string): number {
  return Math.min(320, Math.max(200, Math.ceil(name.length * 7.5) + 56));
}

/** Lays out the stage graph. Edges naming an unknown stage are dropped. */
export function drawPipeline(stages: readonly GraphStage[], edges: readonly GraphEdge[], o: DrawingOptions = {}): PipelineDrawing {
  const boxHeight = o.boxHeight ?? 44;
  const pad = o.padding ?? 24;
  const gpad = o.groupPadding ?? 10;
  const index = new Map(stages.map((s, i) => [s.name, i]));
  const kept = edges.filter((e) => index.has(e.from) && index.has(e.to) && e.from !== e.to);
  const sources = Int32Array.from(kept, (e) => index.get(e.from) as number);
  const targets = Int32Array.from(kept, (e) => index.get(e.to) as number);
  const widths = stages.map((s) => o.boxWidth ?? stageBoxWidth(s.name));
  const layout = layoutGraph({
    nodeCount: stages.length,
    sources,
    targets,
    widths,
    heights: stages.map(() => boxHeight),
    hGap: 40,
    vGap: 56,
  });
  // Group frames need room above their boxes for a label: shift everything right/down by the padding.
  let minX = Infinity;
  for (let i = 0; i < stages.length; i++) minX = Math.min(minX, layout.x[i] - layout.w[i] / 2);
  if (!Number.isFinite(minX)) minX = 0;
  const dx = pad + gpad - minX;
  const dy = pad + gpad + 18;
  const boxes: StageBox[] = stages.map((s, i) => ({
    name: s.name,
    x: layout.x[i] - layout.w[i] / 2 + dx,
    y: layout.y[i] + dy,
    w: layout.w[i],
    h: layout.h[i],
  }));
  const paths: EdgePath[] = kept.map((e, k) => {
    const a = boxes[sources[k]];
    const b = boxes[targets[k]];
    const points: Point[] = [{ x: a.x + a.w / 2, y: a.y + a.h }];
    for (let r = layout.routeStart[k]; r < layout.routeStart[k + 1]; r++)
      points.push({ x: layout.routeX[r] + dx, y: layout.routeY[r] + dy });
    points.push({ x: b.x + b.w / 2, y: b.y });
    return { from: e.from, to: e.to, paths: e.paths, points };
  });
  const byGroup = new Map<string, number[]>();
  stages.forEach((s, i) => {
    if (s.group) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), i]);
  });
  const groups: GroupFrame[] = [...byGroup].map(([group, members]) => {
    const left = Math.min(...members.map((i) => boxes[i].x)) - gpad;
    const top = Math.min(...members.map((i) => boxes[i].y)) - gpad - 18;
    const right = Math.max(...members.map((i) => boxes[i].x + boxes[i].w)) + gpad;
    const bottom = Math.max(...members.map((i) => boxes[i].y + boxes[i].h)) + gpad;
    return { group, members: members.map((i) => stages[i].name), x: left, y: top, w: right - left, h: bottom - top };
  });
  let width = 0;
  let height = 0;
  for (const r of [...boxes, ...groups]) {
    width = Math.max(width, r.x + r.w);
    height = Math.max(height, r.y + r.h);
  }
  return { boxes, edges: paths, groups, width: width + pad, height: height + pad, layout, sources, targets };
}

/** An SVG path through the points: straight into and out of each box, smooth bends between (a cubic per segment). */
export function edgeSvgPath(points: readonly Point[]): string {
  if (points.length < 2) return '';
  const f = (v: number) => (Math.round(v * 10) / 10).toString();
  let d = `M${f(points[0].x)},${f(points[0].y)}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const my = (a.y + b.y) / 2;
    d += ` C${f(a.x)},${f(my)} ${f(b.x)},${f(my)} ${f(b.x)},${f(b.y)}`;
  }
  return d;
}

/** Stages that a change to `name` makes stale too: everything downstream of it, in no particular order. */
export function downstreamOf(name: string, edges: readonly GraphEdge[]): string[] {
  const out = new Set<string>();
  const visit = (n: string): void => {
    for (const e of edges)
      if (e.from === n && !out.has(e.to)) {
        out.add(e.to);
        visit(e.to);
      }
  };
  visit(name);
  out.delete(name);
  return [...out];
}
