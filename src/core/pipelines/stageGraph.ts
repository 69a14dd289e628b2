import * as path from 'node:path';
import type { Pipeline, PipelineStage } from './pipelineTypes';

/** A stage's path (dep or out) as an absolute path. */
export function stagePath(p: Pipeline, s: PipelineStage, rel: string): string {
  return path.resolve(p.root, s.wdir, rel);
}

const within = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);

/** For each stage, the stages whose outs it depends on (a dep equal to, inside, or holding an out). */
export function upstreamOf(p: Pipeline): Map<string, string[]> {
  const outs = p.stages.flatMap((s) => s.outs.map((o) => ({ stage: s.name, abs: stagePath(p, s, o.path) })));
  const up = new Map<string, string[]>();
  for (const s of p.stages) {
    const names = new Set<string>();
    for (const d of s.deps) {
      const abs = stagePath(p, s, d);
      for (const o of outs) if (o.stage !== s.name && (within(abs, o.abs) || within(o.abs, abs))) names.add(o.stage);
    }
    up.set(s.name, [...names]);
  }
  return up;
}

/** Stage names in an order where each comes after everything it depends on (dvc.yaml order otherwise). Throws on a cycle. */
export function stageOrder(p: Pipeline, up: Map<string, string[]> = upstreamOf(p)): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') throw new Error(`The pipeline has a cycle: ${[...trail, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const u of up.get(name) ?? []) visit(u, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const s of p.stages) visit(s.name, []);
  return order;
}

/** `target` and every stage upstream of it, in run order. */
export function withUpstream(order: string[], up: Map<string, string[]>, target: string): string[] {
  const keep = new Set<string>();
  const add = (n: string): void => {
    if (keep.has(n)) return;
    keep.add(n);
    for (const u of up.get(n) ?? []) add(u);
  };
  add(target);
  return order.filter((n) => keep.has(n));
}
