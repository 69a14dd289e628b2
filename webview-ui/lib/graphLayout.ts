/**
 * Layered layout of a directed graph (a model's node DAG), top to bottom, with edges routed between the
 * boxes. Imports nothing: the inspector webview bundles it and the bench runs it in Node.
 *
 * 1. Layers: longest path in topological order (a cycle, which a valid ONNX graph never has, is broken at
 *    the first node left over); nodes without inputs then sit just above their first consumer.
 * 2. Routing: an edge that spans several layers passes through one "dummy" point per layer it crosses, so
 *    it takes a slot in each layer's order and never runs through a box. The long edges of one source share
 *    one chain of dummies (a trunk down to its last consumer) instead of one chain each; past
 *    `maxDummies` points in all, the remaining long edges are drawn unrouted.
 * 3. Order in each layer: depth-first discovery order (a chain keeps its place), then barycentre sweeps.
 * 4. x: Brandes–Köpf. Each of four passes (aligned with the layer above or below, packed to the left or the
 *    right) lines nodes up with a median neighbour into vertical blocks, so chains and trunks come out
 *    straight, and packs the blocks by a longest path over "left of" constraints; the four results are
 *    aligned and each node takes the mean of its two median positions.
 *
 * `layoutSteps` is a generator that yields progress every few thousand units of work, so a caller in a
 * browser can run it in time slices and drop it to cancel. `layoutGraph` runs it to the end.
 */

export interface LayoutInput {
  nodeCount: number;
  /** Edge i goes from node sources[i] to node targets[i]. Self loops and out-of-range indices are ignored. */
  sources: ArrayLike<number>;
  targets: ArrayLike<number>;
  /** Width and height of each node; default `nodeWidth` and `nodeHeight`. */
  widths?: ArrayLike<number>;
  heights?: ArrayLike<number>;
  nodeWidth?: number;
  nodeHeight?: number;
  /** Horizontal space between boxes of a layer, vertical space between layers. */
  hGap?: number;
  vGap?: number;
  /** Barycentre sweep pairs (down + up). Default 3. */
  sweeps?: number;
  /** Most routing points in all; default 4 × nodeCount + 20,000. */
  maxDummies?: number;
}

export interface GraphLayout {
  nodeCount: number;
  /** Centre x of each node. */
  x: Float64Array;
  /** Top y of each node. */
  y: Float64Array;
  w: Float64Array;
  h: Float64Array;
  layer: Int32Array;
  layerCount: number;
  /** Top and height of each layer's band (its tallest box); boxes are centred in it. */
  layerTop: Float64Array;
  layerHeight: Float64Array;
  /** Nodes of layer k, left to right: layerNodes[layerStart[k] .. layerStart[k + 1]). */
  layerNodes: Int32Array;
  layerStart: Int32Array;
  /**
   * The route of input edge e: points routeX/routeY[routeStart[e] .. routeStart[e + 1]) between the bottom of
   * its source and the top of its target, two per layer crossed (where the route enters and leaves the layer's
   * band). Empty for an edge between adjacent layers, and for edges left unrouted.
   */
  routeStart: Int32Array;
  routeX: Float64Array;
  routeY: Float64Array;
  width: number;
  height: number;
}

export interface LayoutProgress {
  phase: 'edges' | 'layers' | 'order' | 'place';
  /** Rough fraction done, 0..1. */
  fraction: number;
}

const CHUNK = 4096;
const DUMMY_WIDTH = 8;

export function layoutGraph(input: LayoutInput): GraphLayout {
  const steps = layoutSteps(input);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

function positive(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function* layoutSteps(input: LayoutInput): Generator<LayoutProgress, GraphLayout, void> {
  const n = Math.max(0, Math.floor(input.nodeCount));
  const nodeWidth = input.nodeWidth ?? 120;
  const nodeHeight = input.nodeHeight ?? 28;
  const hGap = input.hGap ?? 24;
  const vGap = input.vGap ?? 36;
  const sweeps = input.sweeps ?? 3;
  const maxDummies = input.maxDummies ?? 4 * n + 20_000;
  const w = new Float64Array(n);
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    w[i] = positive(input.widths?.[i], nodeWidth);
    h[i] = positive(input.heights?.[i], nodeHeight);
  }
  let work = 0;

  // ---- adjacency of the input graph (CSR both ways; an edge slot keeps its input index)
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
  const outAdj = new Int32Array(outStart[n]);
  const outEdge = new Int32Array(outStart[n]);
  {
    const fill = outStart.slice(0, n);
    for (let e = 0; e < m; e++) {
      if (!valid[e]) continue;
      const s = input.sources[e];
      outEdge[fill[s]] = e;
      outAdj[fill[s]++] = input.targets[e];
      if (++work >= CHUNK) {
        work = 0;
        yield { phase: 'edges', fraction: 0.05 * (e / m) };
      }
    }
  }

  // ---- longest-path layering in topological order
  const layer = new Int32Array(n);
  const placed = new Uint8Array(n);
  const remaining = inDeg.slice();
  const topo = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let v = 0; v < n; v++) if (remaining[v] === 0) topo[tail++] = v;
  let scan = 0;
  while (head < n) {
    if (head === tail) {
      // A cycle: take the first node not yet placed and ignore its edges from nodes still pending.
      while (placed[scan] || remaining[scan] === 0) scan++;
      remaining[scan] = 0;
      topo[tail++] = scan;
    }
    const u = topo[head++];
    placed[u] = 1;
    const lu = layer[u] + 1;
    for (let k = outStart[u]; k < outStart[u + 1]; k++) {
      const v = outAdj[k];
      if (placed[v]) continue; // back edge of a broken cycle
      if (layer[v] < lu) layer[v] = lu;
      if (--remaining[v] === 0) topo[tail++] = v;
    }
    if (++work >= CHUNK) {
      work = 0;
      yield { phase: 'layers', fraction: 0.05 + 0.1 * (head / n) };
    }
  }
  // Nodes without inputs (graph inputs, Constants) sit just above their nearest consumer, not at the top.
  for (let i = n - 1; i >= 0; i--) {
    const v = topo[i];
    if (inDeg[v] !== 0 || outStart[v + 1] === outStart[v]) continue;
    let min = Infinity;
    for (let k = outStart[v]; k < outStart[v + 1]; k++) {
      const t = outAdj[k];
      if (layer[t] > layer[v] && layer[t] < min) min = layer[t];
    }
    if (min !== Infinity) layer[v] = min - 1;
  }
  let layerCount = 0;
  for (let v = 0; v < n; v++) if (layer[v] + 1 > layerCount) layerCount = layer[v] + 1;

  // ---- the proper graph: every edge spans one layer; long edges go through their source's trunk of dummies
  // Trunk of source s: dummies in layers layer[s]+1 .. last-1, where `last` is the deepest consumer's layer.
  const trunkFirst = new Int32Array(n).fill(-1); // index of the dummy in layer[s] + 1
  const trunkSpan = new Int32Array(n);
  let dummies = 0;
  for (let s = 0; s < n; s++) {
    let last = layer[s] + 1;
    for (let k = outStart[s]; k < outStart[s + 1]; k++) if (layer[outAdj[k]] > last) last = layer[outAdj[k]];
    const span = last - layer[s] - 1;
    if (span <= 0 || dummies + span > maxDummies) continue;
    trunkFirst[s] = n + dummies;
    trunkSpan[s] = span;
    dummies += span;
  }
  const total = n + dummies;
  const pLayer = new Int32Array(total);
  pLayer.set(layer);
  // Proper edges as (upper, lower) pairs.
  const pSrc: number[] = [];
  const pDst: number[] = [];
  /** Where input edge e enters its target: the dummy above the target, -1 for a direct or unrouted edge. */
  const edgeVia = new Int32Array(m).fill(-1);
  for (let s = 0; s < n; s++) {
    const first = trunkFirst[s];
    if (first >= 0) {
      for (let i = 0; i < trunkSpan[s]; i++) {
        pLayer[first + i] = layer[s] + 1 + i;
        pSrc.push(i === 0 ? s : first + i - 1);
        pDst.push(first + i);
      }
    }
    const linked = new Set<number>();
    for (let k = outStart[s]; k < outStart[s + 1]; k++) {
      const t = outAdj[k];
      const gap = layer[t] - layer[s];
      if (gap <= 0) continue; // back edge of a broken cycle: drawn unrouted
      let upper = s;
      if (gap > 1) {
        if (first < 0) continue; // over the routing budget
        upper = first + gap - 2;
        edgeVia[outEdge[k]] = upper;
      }
      const key = upper + t * total;
      if (linked.has(key)) continue;
      linked.add(key);
      pSrc.push(upper);
      pDst.push(t);
    }
    if (++work >= CHUNK) {
      work = 0;
      yield { phase: 'layers', fraction: 0.15 + 0.05 * (s / n) };
    }
  }
  const pm = pSrc.length;
  const pOutDeg = new Int32Array(total);
  const pInDeg = new Int32Array(total);
  for (let e = 0; e < pm; e++) {
    pOutDeg[pSrc[e]]++;
    pInDeg[pDst[e]]++;
  }
  const downStart = prefix(pOutDeg);
  const upStart = prefix(pInDeg);
  const down = new Int32Array(pm);
  const up = new Int32Array(pm);
  {
    const oFill = downStart.slice(0, total);
    const iFill = upStart.slice(0, total);
    for (let e = 0; e < pm; e++) {
      down[oFill[pSrc[e]]++] = pDst[e];
      up[iFill[pDst[e]]++] = pSrc[e];
    }
  }
  const isDummy = (v: number): boolean => v >= n;
  const width = (v: number): number => (v < n ? w[v] : DUMMY_WIDTH);

  // ---- initial order: depth-first discovery from the nodes without inputs, in index order
  const layerSize = new Int32Array(layerCount);
  for (let v = 0; v < total; v++) layerSize[pLayer[v]]++;
  const layerStart = prefix(layerSize);
  const order = new Int32Array(total);
  {
    const fill = layerStart.slice(0, layerCount);
    const seen = new Uint8Array(total);
    const stack = new Int32Array(total);
    const next = new Int32Array(total);
    const visit = (root: number): void => {
      let top = 0;
      stack[top++] = root;
      seen[root] = 1;
      order[fill[pLayer[root]]++] = root;
      next[root] = downStart[root];
      while (top > 0) {
        const v = stack[top - 1];
        if (next[v] === downStart[v + 1]) {
          top--;
          continue;
        }
        const c = down[next[v]++];
        if (seen[c]) continue;
        seen[c] = 1;
        order[fill[pLayer[c]]++] = c;
        next[c] = downStart[c];
        stack[top++] = c;
      }
    };
    for (let v = 0; v < total; v++) if (upStart[v + 1] === upStart[v] && !seen[v]) visit(v);
    for (let v = 0; v < total; v++) if (!seen[v]) visit(v); // in cycles only
  }
  const pos = new Int32Array(total);
  for (let k = 0; k < layerCount; k++) for (let i = layerStart[k]; i < layerStart[k + 1]; i++) pos[order[i]] = i - layerStart[k];
  yield { phase: 'order', fraction: 0.25 };

  // ---- barycentre sweeps
  const key = new Float64Array(total);
  const totalOrderWork = Math.max(1, sweeps * 2 * total);
  let orderWork = 0;
  const sortLayer = (k: number, fromAbove: boolean): void => {
    const a = layerStart[k];
    const b = layerStart[k + 1];
    if (b - a < 2) return;
    const start = fromAbove ? upStart : downStart;
    const adj = fromAbove ? up : down;
    for (let i = a; i < b; i++) {
      const v = order[i];
      const s0 = start[v];
      const s1 = start[v + 1];
      let sum = 0;
      for (let j = s0; j < s1; j++) sum += pos[adj[j]];
      key[v] = s1 > s0 ? sum / (s1 - s0) : pos[v];
    }
    const slice = Array.from(order.subarray(a, b));
    slice.sort((p, q) => key[p] - key[q] || pos[p] - pos[q]);
    for (let i = 0; i < slice.length; i++) {
      order[a + i] = slice[i];
      pos[slice[i]] = i;
    }
  };
  for (let s = 0; s < sweeps; s++) {
    for (let k = 1; k < layerCount; k++) {
      sortLayer(k, true);
      orderWork += layerSize[k];
      if ((work += layerSize[k]) >= CHUNK) {
        work = 0;
        yield { phase: 'order', fraction: 0.25 + 0.35 * (orderWork / totalOrderWork) };
      }
    }
    for (let k = layerCount - 2; k >= 0; k--) {
      sortLayer(k, false);
      orderWork += layerSize[k];
      if ((work += layerSize[k]) >= CHUNK) {
        work = 0;
        yield { phase: 'order', fraction: 0.25 + 0.35 * (orderWork / totalOrderWork) };
      }
    }
  }

  // ---- Brandes–Köpf x coordinates
  /** Distance between the centres of two neighbours of a layer. */
  const separation = (a: number, b: number): number => {
    const gap = isDummy(a) && isDummy(b) ? hGap / 3 : isDummy(a) || isDummy(b) ? hGap / 2 : hGap;
    return (width(a) + width(b)) / 2 + gap;
  };
  // Type-1 conflicts: an edge between two dummies (an inner segment, part of a long edge) wins over a
  // crossing edge with a real end, which is then not used for alignment.
  const marked = new Set<number>();
  const markKey = (upper: number, lower: number): number => upper * total + lower;
  for (let k = 1; k < layerCount - 1; k++) {
    // upper layer k, lower layer k + 1
    const a = layerStart[k + 1];
    const b = layerStart[k + 2];
    const upperLast = layerSize[k] - 1;
    let k0 = 0;
    let l = a;
    for (let l1 = a; l1 < b; l1++) {
      const v = order[l1];
      let inner = -1;
      if (isDummy(v)) for (let j = upStart[v]; j < upStart[v + 1]; j++) if (isDummy(up[j])) inner = up[j];
      if (l1 === b - 1 || inner >= 0) {
        const k1 = inner >= 0 ? pos[inner] : upperLast;
        for (; l <= l1; l++) {
          const lower = order[l];
          for (let j = upStart[lower]; j < upStart[lower + 1]; j++) {
            const u = up[j];
            if (pos[u] < k0 || pos[u] > k1) marked.add(markKey(u, lower));
          }
        }
        k0 = k1;
      }
    }
    if ((work += b - a) >= CHUNK) {
      work = 0;
      yield { phase: 'place', fraction: 0.6 };
    }
  }

  // Each node's median neighbours above and below (up to two each, left to right), among its neighbours
  // of the highest priority: a long edge's own next point first, then an edge of the main flow between two
  // operators, then an edge to or from a long edge, last an edge from a node without inputs (a graph input
  // or constant beside the chain). Two nodes line up only if each is a median neighbour of the other, so a
  // fork lines up with its middle branch and a chain goes straight past its side inputs and skips.
  const priority = (upper: number, lower: number): number =>
    isDummy(upper) && isDummy(lower) ? 3 : isDummy(upper) || isDummy(lower) ? 1 : upStart[upper + 1] > upStart[upper] ? 2 : 0;
  const medUp = new Int32Array(2 * total).fill(-1);
  const medDown = new Int32Array(2 * total).fill(-1);
  const picked: number[] = [];
  const medians = (v: number, start: Int32Array, adj: Int32Array, above: boolean, into: Int32Array): void => {
    let best = -1;
    for (let j = start[v]; j < start[v + 1]; j++) best = Math.max(best, above ? priority(adj[j], v) : priority(v, adj[j]));
    picked.length = 0;
    for (let j = start[v]; j < start[v + 1]; j++) if ((above ? priority(adj[j], v) : priority(v, adj[j])) === best) picked.push(adj[j]);
    const c = picked.length;
    if (c === 0) return;
    if (c > 1) picked.sort((p, q) => pos[p] - pos[q]);
    into[2 * v] = picked[(c - 1) >> 1];
    if (c % 2 === 0) into[2 * v + 1] = picked[c >> 1];
  };
  for (let v = 0; v < total; v++) {
    medians(v, upStart, up, true, medUp);
    medians(v, downStart, down, false, medDown);
  }
  const root = new Int32Array(total);
  const align = new Int32Array(total);
  const xs = [0, 1, 2, 3].map(() => new Float64Array(total));
  const blockSuccStart = new Int32Array(total + 1);
  for (let pass = 0; pass < 4; pass++) {
    const fromAbove = pass < 2; // align with the layer above (top-down) or below (bottom-up)
    const leftward = pass % 2 === 0; // pack to the left, or mirror the order and pack to the right
    /** Position in the pass's orientation. */
    const at = (v: number): number => (leftward ? pos[v] : layerSize[pLayer[v]] - 1 - pos[v]);
    /** Node at position i of layer k in the pass's orientation. */
    const nodeAtPos = (k: number, i: number): number => order[layerStart[k] + (leftward ? i : layerSize[k] - 1 - i)];
    for (let v = 0; v < total; v++) {
      root[v] = v;
      align[v] = v;
    }
    for (let step = 1; step < layerCount; step++) {
      const k = fromAbove ? step : layerCount - 1 - step;
      let r = -1;
      for (let i = 0; i < layerSize[k]; i++) {
        const v = nodeAtPos(k, i);
        const mine = fromAbove ? medUp : medDown;
        const theirs = fromAbove ? medDown : medUp;
        if (mine[2 * v] < 0) continue;
        const first = mine[2 * v + 1] >= 0 && !leftward ? 1 : 0;
        for (let t = 0; t < 2; t++) {
          if (align[v] !== v) break;
          const u = mine[2 * v + (t === 0 ? first : 1 - first)];
          if (u < 0 || (theirs[2 * u] !== v && theirs[2 * u + 1] !== v)) continue;
          const isMarked = fromAbove ? marked.has(markKey(u, v)) : marked.has(markKey(v, u));
          if (!isMarked && r < at(u)) {
            align[u] = v;
            root[v] = root[u];
            align[v] = root[v];
            r = at(u);
          }
        }
      }
      if ((work += layerSize[k]) >= CHUNK) {
        work = 0;
        yield { phase: 'place', fraction: 0.6 + 0.1 * pass + 0.05 * (step / layerCount) };
      }
    }
    // Compaction: blocks (by root) ordered by "left of" constraints in every layer; longest path from the left,
    // then each block moves right up to its nearest right neighbour block (it never moves past one).
    const blockPredCount = new Int32Array(total);
    const succCount = new Int32Array(total);
    for (let k = 0; k < layerCount; k++) {
      for (let i = 1; i < layerSize[k]; i++) {
        const a = root[nodeAtPos(k, i - 1)];
        succCount[a]++;
      }
    }
    blockSuccStart[0] = 0;
    for (let v = 0; v < total; v++) blockSuccStart[v + 1] = blockSuccStart[v] + succCount[v];
    const succ = new Int32Array(blockSuccStart[total]);
    const succSep = new Float64Array(blockSuccStart[total]);
    {
      const fill = blockSuccStart.slice(0, total);
      for (let k = 0; k < layerCount; k++) {
        for (let i = 1; i < layerSize[k]; i++) {
          const left = nodeAtPos(k, i - 1);
          const right = nodeAtPos(k, i);
          const a = root[left];
          succ[fill[a]] = root[right];
          succSep[fill[a]++] = separation(left, right);
          blockPredCount[root[right]]++;
        }
      }
    }
    const x = xs[pass];
    const queue = new Int32Array(total);
    let qh = 0;
    let qt = 0;
    for (let v = 0; v < total; v++) {
      x[v] = 0;
      if (root[v] === v && blockPredCount[v] === 0) queue[qt++] = v;
    }
    while (qh < qt) {
      const b = queue[qh++];
      for (let j = blockSuccStart[b]; j < blockSuccStart[b + 1]; j++) {
        const c = succ[j];
        const cand = x[b] + succSep[j];
        if (cand > x[c]) x[c] = cand;
        if (--blockPredCount[c] === 0) queue[qt++] = c;
      }
    }
    for (let i = qt - 1; i >= 0; i--) {
      const b = queue[i];
      let min = Infinity;
      for (let j = blockSuccStart[b]; j < blockSuccStart[b + 1]; j++) min = Math.min(min, x[succ[j]] - succSep[j]);
      if (min !== Infinity && min > x[b]) x[b] = min;
    }
    for (let v = 0; v < total; v++) x[v] = x[root[v]];
    if (!leftward) for (let v = 0; v < total; v++) x[v] = -x[v];
    yield { phase: 'place', fraction: 0.65 + 0.1 * pass };
  }
  // Balance: shift the four to the narrowest one (left packed by its left edge, right packed by its right edge).
  const extent = xs.map((x) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let v = 0; v < total; v++) {
      lo = Math.min(lo, x[v] - width(v) / 2);
      hi = Math.max(hi, x[v] + width(v) / 2);
    }
    return total ? { lo, hi } : { lo: 0, hi: 0 };
  });
  let narrowest = 0;
  for (let p = 1; p < 4; p++) if (extent[p].hi - extent[p].lo < extent[narrowest].hi - extent[narrowest].lo) narrowest = p;
  for (let p = 0; p < 4; p++) {
    const shift = p % 2 === 0 ? extent[narrowest].lo - extent[p].lo : extent[narrowest].hi - extent[p].hi;
    const x = xs[p];
    for (let v = 0; v < total; v++) x[v] += shift;
  }
  const px = new Float64Array(total);
  {
    const four = [0, 0, 0, 0];
    for (let v = 0; v < total; v++) {
      for (let p = 0; p < 4; p++) four[p] = xs[p][v];
      four.sort((a, b) => a - b);
      px[v] = (four[1] + four[2]) / 2;
    }
  }

  // ---- y: layer bands as tall as their tallest box
  const layerHeight = new Float64Array(layerCount);
  for (let v = 0; v < n; v++) if (h[v] > layerHeight[layer[v]]) layerHeight[layer[v]] = h[v];
  const layerTop = new Float64Array(layerCount);
  for (let k = 1; k < layerCount; k++) layerTop[k] = layerTop[k - 1] + layerHeight[k - 1] + vGap;
  let minX = Infinity;
  let maxX = -Infinity;
  for (let v = 0; v < total; v++) {
    minX = Math.min(minX, px[v] - width(v) / 2);
    maxX = Math.max(maxX, px[v] + width(v) / 2);
  }
  if (total === 0) minX = maxX = 0;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    x[v] = px[v] - minX;
    y[v] = layerTop[layer[v]] + (layerHeight[layer[v]] - h[v]) / 2;
  }

  // ---- real nodes of each layer, left to right
  const realSize = new Int32Array(layerCount);
  for (let v = 0; v < n; v++) realSize[layer[v]]++;
  const realStart = prefix(realSize);
  const layerNodes = new Int32Array(n);
  {
    const fill = realStart.slice(0, layerCount);
    for (let i = 0; i < total; i++) {
      const v = order[i];
      if (v < n) layerNodes[fill[layer[v]]++] = v;
    }
  }

  // ---- routes: for an edge through its source's trunk, the trunk's dummies from the source's layer down
  const routeCount = new Int32Array(m);
  for (let e = 0; e < m; e++) {
    const via = edgeVia[e];
    if (via >= 0) routeCount[e] = 2 * (via - trunkFirst[input.sources[e]] + 1);
  }
  const routeStart = prefix(routeCount);
  const routeX = new Float64Array(routeStart[m]);
  const routeY = new Float64Array(routeStart[m]);
  for (let e = 0; e < m; e++) {
    const via = edgeVia[e];
    if (via < 0) continue;
    let p = routeStart[e];
    for (let d = trunkFirst[input.sources[e]]; d <= via; d++) {
      const k = pLayer[d];
      const dx = px[d] - minX;
      routeX[p] = dx;
      routeY[p++] = layerTop[k];
      routeX[p] = dx;
      routeY[p++] = layerTop[k] + layerHeight[k];
    }
  }

  return {
    nodeCount: n,
    x,
    y,
    w,
    h,
    layer,
    layerCount,
    layerTop,
    layerHeight,
    layerNodes,
    layerStart: realStart,
    routeStart,
    routeX,
    routeY,
    width: maxX - minX,
    height: layerCount > 0 ? layerTop[layerCount - 1] + layerHeight[layerCount - 1] : 0,
  };
}

/** Layer whose band (with the gap below it) holds world y, or -1 above the first. */
export function layerAtY(layout: GraphLayout, py: number): number {
  let lo = 0;
  let hi = layout.layerCount - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (layout.layerTop[mid] <= py) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Node at world point (px, py), or -1: the layer from y, then a binary search on x. */
export function nodeAt(layout: GraphLayout, px: number, py: number): number {
  const k = layerAtY(layout, py);
  if (k < 0 || py > layout.layerTop[k] + layout.layerHeight[k]) return -1;
  let lo = layout.layerStart[k];
  let hi = layout.layerStart[k + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = layout.layerNodes[mid];
    const half = layout.w[v] / 2;
    if (px < layout.x[v] - half) hi = mid - 1;
    else if (px > layout.x[v] + half) lo = mid + 1;
    else return py >= layout.y[v] && py <= layout.y[v] + layout.h[v] ? v : -1;
  }
  return -1;
}

function prefix(counts: Int32Array): Int32Array {
  const start = new Int32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) start[i + 1] = start[i] + counts[i];
  return start;
}
