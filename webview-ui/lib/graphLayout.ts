/**
 * Layered layout of a directed graph (a model's node DAG), top to bottom. Imports nothing: the inspector
 * webview bundles it and the bench runs it in Node.
 *
 * 1. longest-path layering (Kahn order; a cycle, which a valid ONNX graph never has, is broken at the
 *    first node left over), then nodes without inputs are pulled down next to their first consumer;
 * 2. barycentre ordering sweeps, down then up, inside each layer;
 * 3. x placement: each node wants the mean x of its neighbours; a left pass and a right pass enforce the
 *    spacing and their average is kept (it keeps the spacing too), so chains come out straight.
 *
 * `layoutSteps` is a generator that yields progress every few thousand units of work, so a caller in a
 * browser can run it in time slices and drop it to cancel. `layoutGraph` runs it to the end.
 */

export interface LayoutInput {
  nodeCount: number;
  /** Edge i goes from node sources[i] to node targets[i]. Self loops and out-of-range indices are ignored. */
  sources: ArrayLike<number>;
  targets: ArrayLike<number>;
  /** Width of each node; default `nodeWidth`. */
  widths?: ArrayLike<number>;
  nodeWidth?: number;
  nodeHeight?: number;
  /** Horizontal space between nodes of a layer, vertical space between layers. */
  hGap?: number;
  vGap?: number;
  /** Barycentre sweep pairs (down + up). Default 2. */
  sweeps?: number;
}

export interface GraphLayout {
  nodeCount: number;
  /** Centre x of each node. */
  x: Float64Array;
  /** Top y of each node. */
  y: Float64Array;
  w: Float64Array;
  nodeHeight: number;
  layer: Int32Array;
  layerCount: number;
  /** Distance between the tops of two consecutive layers. */
  layerPitch: number;
  /** Nodes of layer k, left to right: layerNodes[layerStart[k] .. layerStart[k + 1]). */
  layerNodes: Int32Array;
  layerStart: Int32Array;
  width: number;
  height: number;
}

export interface LayoutProgress {
  phase: 'edges' | 'layers' | 'order' | 'place';
  /** Rough fraction done, 0..1. */
  fraction: number;
}

const CHUNK = 4096;

export function layoutGraph(input: LayoutInput): GraphLayout {
  const steps = layoutSteps(input);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export function* layoutSteps(input: LayoutInput): Generator<LayoutProgress, GraphLayout, void> {
  const n = Math.max(0, Math.floor(input.nodeCount));
  const nodeWidth = input.nodeWidth ?? 120;
  const nodeHeight = input.nodeHeight ?? 28;
  const hGap = input.hGap ?? 24;
  const vGap = input.vGap ?? 36;
  const sweeps = input.sweeps ?? 2;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const wi = input.widths ? Number(input.widths[i]) : nodeWidth;
    w[i] = Number.isFinite(wi) && wi > 0 ? wi : nodeWidth;
  }
  let work = 0;

  // ---- adjacency (CSR both ways)
  const m = Math.min(input.sources.length, input.targets.length);
  const outDeg = new Int32Array(n);
  const inDeg = new Int32Array(n);
  const valid = new Uint8Array(m);
  for (let e = 0; e < m; e++) {
    const s = input.sources[e];
    const t = input.targets[e];
    if (s === t || !(s >= 0 && s < n && t >= 0 && t < n) || s !== Math.floor(s) || t !== Math.floor(t)) continue;
    valid[e] = 1;
    outDeg[s]++;
    inDeg[t]++;
  }
  const outStart = prefix(outDeg);
  const inStart = prefix(inDeg);
  const outAdj = new Int32Array(outStart[n]);
  const inAdj = new Int32Array(inStart[n]);
  {
    const oFill = outStart.slice(0, n);
    const iFill = inStart.slice(0, n);
    for (let e = 0; e < m; e++) {
      if (!valid[e]) continue;
      const s = input.sources[e];
      const t = input.targets[e];
      outAdj[oFill[s]++] = t;
      inAdj[iFill[t]++] = s;
      if (++work >= CHUNK) {
        work = 0;
        yield { phase: 'edges', fraction: 0.1 * (e / m) };
      }
    }
  }

  // ---- longest-path layering in topological order
  const layer = new Int32Array(n);
  const done = new Uint8Array(n);
  const remaining = inDeg.slice();
  const topo = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let v = 0; v < n; v++) if (remaining[v] === 0) topo[tail++] = v;
  let scan = 0;
  while (head < n) {
    if (head === tail) {
      // A cycle: take the first node not yet placed and ignore its edges from nodes still pending.
      while (done[scan] || remaining[scan] === 0) scan++;
      remaining[scan] = 0;
      topo[tail++] = scan;
    }
    const u = topo[head++];
    done[u] = 1;
    const lu = layer[u] + 1;
    for (let k = outStart[u]; k < outStart[u + 1]; k++) {
      const v = outAdj[k];
      if (done[v]) continue; // back edge of a broken cycle
      if (layer[v] < lu) layer[v] = lu;
      if (--remaining[v] === 0) topo[tail++] = v;
    }
    if (++work >= CHUNK) {
      work = 0;
      yield { phase: 'layers', fraction: 0.1 + 0.2 * (head / n) };
    }
  }
  // Nodes without inputs (graph inputs, Constants) sit just above their nearest consumer, not at the top.
  for (let i = n - 1; i >= 0; i--) {
    const v = topo[i];
    if (inStart[v + 1] !== inStart[v] || outStart[v + 1] === outStart[v]) continue;
    let min = Infinity;
    for (let k = outStart[v]; k < outStart[v + 1]; k++) {
      const t = outAdj[k];
      if (layer[t] > layer[v] && layer[t] < min) min = layer[t];
    }
    if (min !== Infinity) layer[v] = min - 1;
  }

  // ---- buckets by layer, first in topological order
  let layerCount = 0;
  for (let v = 0; v < n; v++) if (layer[v] + 1 > layerCount) layerCount = layer[v] + 1;
  const layerSize = new Int32Array(layerCount);
  for (let v = 0; v < n; v++) layerSize[layer[v]]++;
  const layerStart = prefix(layerSize);
  const layerNodes = new Int32Array(n);
  {
    const fill = layerStart.slice(0, layerCount);
    for (let i = 0; i < n; i++) {
      const v = topo[i];
      layerNodes[fill[layer[v]]++] = v;
    }
  }
  const pos = new Float64Array(n);
  for (let k = 0; k < layerCount; k++) for (let i = layerStart[k]; i < layerStart[k + 1]; i++) pos[layerNodes[i]] = i - layerStart[k];

  // ---- barycentre ordering
  const key = new Float64Array(n);
  const totalOrderWork = Math.max(1, sweeps * 2 * n);
  let orderWork = 0;
  const sortLayer = (k: number, down: boolean): void => {
    const a = layerStart[k];
    const b = layerStart[k + 1];
    if (b - a < 2) return;
    for (let i = a; i < b; i++) {
      const v = layerNodes[i];
      const s0 = down ? inStart[v] : outStart[v];
      const s1 = down ? inStart[v + 1] : outStart[v + 1];
      const adj = down ? inAdj : outAdj;
      let sum = 0;
      let count = 0;
      for (let j = s0; j < s1; j++) {
        const u = adj[j];
        if (down ? layer[u] < k : layer[u] > k) {
          sum += pos[u];
          count++;
        }
      }
      key[v] = count > 0 ? sum / count : pos[v];
    }
    const slice = Array.from(layerNodes.subarray(a, b));
    slice.sort((p, q) => key[p] - key[q] || pos[p] - pos[q]);
    for (let i = 0; i < slice.length; i++) {
      layerNodes[a + i] = slice[i];
      pos[slice[i]] = i;
    }
  };
  for (let s = 0; s < sweeps; s++) {
    for (let k = 1; k < layerCount; k++) {
      sortLayer(k, true);
      orderWork += layerSize[k];
      if ((work += layerSize[k]) >= CHUNK) {
        work = 0;
        yield { phase: 'order', fraction: 0.3 + 0.4 * (orderWork / totalOrderWork) };
      }
    }
    for (let k = layerCount - 2; k >= 0; k--) {
      sortLayer(k, false);
      orderWork += layerSize[k];
      if ((work += layerSize[k]) >= CHUNK) {
        work = 0;
        yield { phase: 'order', fraction: 0.3 + 0.4 * (orderWork / totalOrderWork) };
      }
    }
  }

  // ---- x placement
  const x = new Float64Array(n);
  const want = new Float64Array(n);
  const left = new Float64Array(n);
  const right = new Float64Array(n);
  const hasIn = (v: number): boolean => inStart[v + 1] > inStart[v];
  /** Top-down: each node wants the mean x of its inputs above (inputs that have inputs themselves first). */
  const placeDown = (k: number): void => {
    const a = layerStart[k];
    const b = layerStart[k + 1];
    for (let i = a; i < b; i++) {
      const v = layerNodes[i];
      let sum = 0;
      let count = 0;
      let sumAll = 0;
      let countAll = 0;
      for (let j = inStart[v]; j < inStart[v + 1]; j++) {
        const u = inAdj[j];
        if (layer[u] >= k) continue;
        sumAll += x[u];
        countAll++;
        if (hasIn(u)) {
          sum += x[u];
          count++;
        }
      }
      want[i] = count > 0 ? sum / count : countAll > 0 ? sumAll / countAll : NaN;
    }
    // Nodes with no placed neighbour follow their left (else right) neighbour; a layer of such nodes is centred on 0.
    let prev = -1;
    for (let i = a; i < b; i++) {
      if (!Number.isNaN(want[i])) prev = i;
      else if (prev >= 0) want[i] = want[i - 1] + gapAt(i - 1);
    }
    let next = -1;
    for (let i = b - 1; i >= a; i--) {
      if (!Number.isNaN(want[i])) next = i;
      else if (next >= 0) want[i] = want[i + 1] - gapAt(i);
    }
    if (b > a && Number.isNaN(want[a])) {
      want[a] = 0;
      for (let i = a + 1; i < b; i++) want[i] = want[i - 1] + gapAt(i - 1);
      const middle = want[b - 1] / 2;
      for (let i = a; i < b; i++) want[i] -= middle;
    }
    for (let i = a; i < b; i++) left[i] = i === a ? want[i] : Math.max(want[i], left[i - 1] + gapAt(i - 1));
    for (let i = b - 1; i >= a; i--) right[i] = i === b - 1 ? want[i] : Math.min(want[i], right[i + 1] - gapAt(i));
    for (let i = a; i < b; i++) x[layerNodes[i]] = (left[i] + right[i]) / 2;
  };
  /** Distance between the centres of layerNodes[i] and layerNodes[i + 1]. */
  const gapAt = (i: number): number => (w[layerNodes[i]] + w[layerNodes[i + 1]]) / 2 + hGap;
  /**
   * Bottom-up, for nodes without inputs only (graph inputs, Constants): move them towards the mean x of
   * their consumers, between the nodes around them, which stay where they are.
   */
  const placeSources = (k: number): void => {
    const a = layerStart[k];
    const b = layerStart[k + 1];
    let i = a;
    while (i < b) {
      if (hasIn(layerNodes[i])) {
        i++;
        continue;
      }
      let j = i;
      while (j < b && !hasIn(layerNodes[j])) j++;
      // run [i, j) of sources between fixed nodes i - 1 and j (when they exist)
      for (let t = i; t < j; t++) {
        const v = layerNodes[t];
        let sum = 0;
        let count = 0;
        for (let e = outStart[v]; e < outStart[v + 1]; e++) {
          sum += x[outAdj[e]];
          count++;
        }
        want[t] = count > 0 ? sum / count : x[v];
      }
      for (let t = i; t < j; t++) {
        const lo = t > a ? (t === i ? x[layerNodes[t - 1]] + gapAt(t - 1) : left[t - 1] + gapAt(t - 1)) : -Infinity;
        left[t] = Math.max(want[t], lo);
      }
      for (let t = j - 1; t >= i; t--) {
        const hi = t < b - 1 ? (t === j - 1 ? x[layerNodes[t + 1]] - gapAt(t) : right[t + 1] - gapAt(t)) : Infinity;
        right[t] = Math.min(want[t], hi);
      }
      // The average keeps the spacing; clamp it between the fixed neighbours (there is room: the run fitted before).
      let lo = i > a ? x[layerNodes[i - 1]] : -Infinity;
      for (let t = i; t < j; t++) {
        if (t > a) lo += gapAt(t - 1);
        want[t] = Math.max((left[t] + right[t]) / 2, lo);
      }
      let hi = j < b ? x[layerNodes[j]] : Infinity;
      for (let t = j - 1; t >= i; t--) {
        if (t < b - 1) hi -= gapAt(t);
        x[layerNodes[t]] = Math.min(want[t], hi);
      }
      i = j;
    }
  };
  for (let k = 0; k < layerCount; k++) {
    placeDown(k);
    if ((work += layerSize[k]) >= CHUNK) {
      work = 0;
      yield { phase: 'place', fraction: 0.7 + 0.15 * (k / layerCount) };
    }
  }
  for (let k = layerCount - 1; k >= 0; k--) {
    placeSources(k);
    if ((work += layerSize[k]) >= CHUNK) {
      work = 0;
      yield { phase: 'place', fraction: 0.85 + 0.15 * (1 - k / layerCount) };
    }
  }

  // ---- normalize to a (0, 0) origin
  let minX = Infinity;
  let maxX = -Infinity;
  for (let v = 0; v < n; v++) {
    minX = Math.min(minX, x[v] - w[v] / 2);
    maxX = Math.max(maxX, x[v] + w[v] / 2);
  }
  if (n === 0) minX = maxX = 0;
  const layerPitch = nodeHeight + vGap;
  const y = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    x[v] -= minX;
    y[v] = layer[v] * layerPitch;
  }
  return {
    nodeCount: n,
    x,
    y,
    w,
    nodeHeight,
    layer,
    layerCount,
    layerPitch,
    layerNodes,
    layerStart,
    width: maxX - minX,
    height: layerCount > 0 ? layerCount * layerPitch - vGap : 0,
  };
}

/** Node at world point (px, py), or -1: the layer from y, then a binary search on x. */
export function nodeAt(layout: GraphLayout, px: number, py: number): number {
  const k = Math.floor(py / layout.layerPitch);
  if (k < 0 || k >= layout.layerCount || py - k * layout.layerPitch > layout.nodeHeight) return -1;
  let lo = layout.layerStart[k];
  let hi = layout.layerStart[k + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = layout.layerNodes[mid];
    const half = layout.w[v] / 2;
    if (px < layout.x[v] - half) hi = mid - 1;
    else if (px > layout.x[v] + half) lo = mid + 1;
    else return v;
  }
  return -1;
}

function prefix(counts: Int32Array): Int32Array {
  const start = new Int32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) start[i + 1] = start[i] + counts[i];
  return start;
}
