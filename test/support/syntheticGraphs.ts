/**
 * Synthetic model-like DAGs for the graph layout's tests and bench (bench/graph-layout.mjs imports the
 * compiled copy from out/). Deterministic: the same seed gives the same graph every run. Not a test file.
 */

/** A PRNG of numbers in [0, 1) (a 32-bit linear congruential generator). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export interface SyntheticGraph {
  nodeCount: number;
  sources: Int32Array;
  targets: Int32Array;
  widths: Float64Array;
}

/**
 * A transformer-like chain: forks of three branches joined again (attention's Q/K/V), side inputs without
 * inputs of their own (weights, constants) feeding the next op, and residual skips of up to 20 nodes. No
 * layer holds more than three boxes.
 */
export function transformerLikeGraph(n: number, seed = 1): SyntheticGraph {
  const random = rng(seed);
  const sources: number[] = [];
  const targets: number[] = [];
  const widths = new Float64Array(n);
  const edge = (a: number, b: number): void => {
    sources.push(a);
    targets.push(b);
  };
  let tail = 0;
  let v = 1;
  widths[0] = 80;
  while (v < n) {
    const kind = random();
    if (kind < 0.15 && v + 5 < n) {
      const fork = tail;
      const ends: number[] = [];
      for (let b = 0; b < 3 && v < n - 1; b++) {
        edge(fork, v);
        ends.push(v++);
      }
      const join = v++;
      for (const e of ends) edge(e, join);
      tail = join;
    } else if (kind < 0.3 && v + 1 < n) {
      const constant = v++;
      const op = v++;
      edge(tail, op);
      edge(constant, op);
      tail = op;
    } else {
      edge(tail, v);
      if (v > 20 && random() < 0.1) edge(v - 1 - Math.floor(random() * 20), v);
      tail = v++;
    }
  }
  for (let i = 0; i < n; i++) widths[i] = widths[i] || 56 + Math.floor(random() * 12) * 7;
  return { nodeCount: n, sources: Int32Array.from(sources), targets: Int32Array.from(targets), widths };
}
