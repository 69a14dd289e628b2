import * as path from 'node:path';
import type { Pipeline } from './pipelineTypes';
import { stagePath } from './stageGraph';

/** One edge of the stage graph: `to` depends on outs of `from`, through these paths (relative to dvc.yaml's folder). */
export interface StageEdge {
  from: string;
  to: string;
  paths: string[];
}

const within = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);
const rel = (p: Pipeline, abs: string): string => path.relative(p.root, abs).split(path.sep).join('/') || '.';

/** The edges of the stage graph with the files they carry: an out of one stage that is (in, or holds) a dep of another. */
export function stageEdges(p: Pipeline): StageEdge[] {
  const edges = new Map<string, StageEdge>();
  const outs = p.stages.flatMap((s) => s.outs.map((o) => ({ stage: s.name, abs: stagePath(p, s, o.path) })));
  for (const s of p.stages) {
    for (const d of s.deps) {
      const abs = stagePath(p, s, d);
      for (const o of outs) {
        if (o.stage === s.name || !(within(abs, o.abs) || within(o.abs, abs))) continue;
        const key = `${o.stage}\0${s.name}`;
        const e = edges.get(key) ?? { from: o.stage, to: s.name, paths: [] };
        const shown = rel(p, abs.length < o.abs.length ? o.abs : abs);
        if (!e.paths.includes(shown)) e.paths.push(shown);
        edges.set(key, e);
      }
    }
  }
  return [...edges.values()];
}
