/**
 * Hostile-file safety: thousands of truncated and byte-mutated models (seeded, deterministic). Each must
 * end in a result or an OnnxFormatError, within a time bound: never another exception, never a hang.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataType } from '../../../src/core/onnx/dataTypes';
import { OnnxFormatError } from '../../../src/core/onnx/onnxFormatError';
import { readModel } from '../../../src/core/onnx/readModel';
import { readGraph } from '../../../src/core/onnx/readGraph';
import { summarizeOnnxModel } from '../../../src/core/onnx/summarizeModel';
import { tensorStatistics } from '../../../src/core/onnx/tensorStatistics';
import { sniffModelFormat } from '../../../src/core/onnx/sniffModelFormat';
import type { TensorRef } from '../../../src/core/onnx/tensorRef';
import type { OnnxGraph } from '../../../src/core/onnx/onnxModel';
import { hasCorpus, needs } from '../../support/requires';
import { listCorpusModels } from './corpus';
import { attrGraph, attrTensor, f32, graph, model, valueInfo } from './protoWriter';
import { tempDir, type TempDir } from './tempFiles';
import { seededRandom as prng } from '../../../src/core/random/seededRandom';

const CASES = Number(process.env.MLW_FUZZ_CASES ?? 3000);
const TIME_BOUND_MS = Number(process.env.MLW_FUZZ_BOUND_MS ?? 200);
const SEED = Number(process.env.MLW_FUZZ_SEED ?? 20240611);

function syntheticSeeds(): Uint8Array[] {
  const body = graph({
    name: 'body',
    nodes: [
      {
        opType: 'Constant',
        outputs: ['k'],
        attributes: [attrTensor('value', { name: 'k', dataType: DataType.INT64, dims: [3], int64Data: [1, 2, 3] })],
      },
    ],
    initializers: [{ name: 'h', dataType: DataType.FLOAT16, dims: [4], int32Data: [15360, 15360, 0, 1] }],
  });
  return [
    model({
      graph: {
        nodes: [
          { opType: 'If', inputs: ['c'], outputs: ['k'], attributes: [attrGraph('then_branch', body), attrGraph('else_branch', body)] },
        ],
        initializers: [
          { name: 'w', dataType: DataType.FLOAT, dims: [2, 3], raw: f32([1, 2, 3, 4, 5, 6]) },
          { name: 's', dataType: DataType.STRING, dims: [2], stringData: ['ab', 'cd'] },
          { name: 'e', dataType: DataType.FLOAT, dims: [2], external: { location: 'w.bin', offset: '0', length: '8' } },
        ],
        sparseInitializers: [
          {
            values: { name: 'sp', dataType: DataType.FLOAT, dims: [2], floatData: [1, 2] },
            indices: { name: 'spi', dataType: DataType.INT64, dims: [2], int64Data: [0, 3] },
            dims: [10],
          },
        ],
        inputs: [valueInfo('c', DataType.BOOL, ['N', null])],
        outputs: [valueInfo('k', DataType.INT64, [3])],
      },
    }),
  ];
}

type Mutation = (bytes: Uint8Array, rnd: () => number) => Uint8Array;
const at = (n: number, rnd: () => number): number => Math.floor(rnd() * n);
const MUTATIONS: [string, Mutation][] = [
  ['truncate', (b, rnd) => b.subarray(0, at(b.length, rnd))],
  [
    'flip bytes',
    (b, rnd) => {
      const c = Uint8Array.from(b);
      for (let i = 0, n = 1 + at(8, rnd); i < n; i++) c[at(c.length, rnd)] ^= 1 << at(8, rnd);
      return c;
    },
  ],
  [
    'random bytes',
    (b, rnd) => {
      const c = Uint8Array.from(b);
      for (let i = 0, n = 1 + at(4, rnd); i < n; i++) c[at(c.length, rnd)] = at(256, rnd);
      return c;
    },
  ],
  [
    '0xff run',
    (b, rnd) => {
      const c = Uint8Array.from(b);
      const start = at(c.length, rnd);
      c.fill(0xff, start, Math.min(c.length, start + 1 + at(12, rnd)));
      return c;
    },
  ],
  [
    'huge length',
    (b, rnd) => {
      const c = Uint8Array.from(b);
      const start = at(c.length, rnd);
      const huge = [
        [0xff, 0xff, 0xff, 0xff, 0x07],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        [0xf0, 0xff, 0x3f],
      ][at(3, rnd)];
      c.set(huge.slice(0, c.length - start), start);
      return c;
    },
  ],
  [
    'duplicate slice',
    (b, rnd) => {
      const from = at(b.length, rnd);
      const len = at(Math.min(64, b.length - from) + 1, rnd);
      const to = at(b.length, rnd);
      const c = new Uint8Array(b.length + len);
      c.set(b.subarray(0, to));
      c.set(b.subarray(from, from + len), to);
      c.set(b.subarray(to), to + len);
      return c;
    },
  ],
  [
    'delete slice',
    (b, rnd) => {
      const from = at(b.length, rnd);
      const len = at(Math.min(32, b.length - from) + 1, rnd);
      const c = new Uint8Array(b.length - len);
      c.set(b.subarray(0, from));
      c.set(b.subarray(from + len), from);
      return c;
    },
  ],
  [
    'flip then truncate',
    (b, rnd) => {
      const c = Uint8Array.from(b);
      c[at(c.length, rnd)] ^= 0x80;
      return c.subarray(0, Math.max(1, at(c.length + 1, rnd)));
    },
  ],
];

function allTensors(g: OnnxGraph, out: TensorRef[] = []): TensorRef[] {
  out.push(...g.initializers);
  for (const s of g.sparseInitializers) if (s.values) out.push(s.values);
  for (const n of g.nodes) {
    for (const a of n.attributes) {
      if (a.t) out.push(a.t);
      if (a.g) allTensors(a.g, out);
      for (const sub of a.graphs ?? []) allTensors(sub, out);
    }
  }
  return out;
}

let dir: TempDir;
before(async () => {
  dir = await tempDir('mlw-onnx-fuzz-');
  await writeFile(join(dir.path, 'w.bin'), f32([7, 8]));
});
after(async () => {
  await dir.remove();
});

describe('fuzz: mutated models', () => {
  it(`${CASES} truncated and mutated models end in a summary or an OnnxFormatError within ${TIME_BOUND_MS} ms`, async (t) => {
    const seeds = syntheticSeeds();
    if (needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) {
      for (const path of listCorpusModels()) seeds.push(readFileSync(path));
    } else {
      return;
    }
    const rnd = prng(SEED);
    const path = join(dir.path, 'fuzz.onnx');
    const outcomes = { summaries: 0, formatErrors: 0, tensorsRead: 0, tensorErrors: 0 };
    const byMutation = new Map<string, number>();
    const problems: string[] = [];
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const seedIndex = i < seeds.length && i < 50 ? i : at(seeds.length, rnd);
      const [name, mutate] = MUTATIONS[at(MUTATIONS.length, rnd)];
      const bytes = mutate(seeds[seedIndex], rnd);
      byMutation.set(name, (byMutation.get(name) ?? 0) + 1);
      await writeFile(path, bytes);
      const started = performance.now();
      try {
        sniffModelFormat(bytes.subarray(0, 64), bytes.length);
        const model = await readModel(path);
        const summary = await summarizeOnnxModel(model);
        JSON.stringify(summary);
        outcomes.summaries++;
        if (i % 3 === 0) {
          JSON.stringify(await readGraph(path));
          for (const ref of allTensors(model.graph).slice(0, 4)) {
            try {
              await tensorStatistics(ref, { maxBytes: 64 * 1024 * 1024 });
              outcomes.tensorsRead++;
            } catch (error) {
              if (!(error instanceof OnnxFormatError)) throw error;
              outcomes.tensorErrors++;
            }
          }
        }
      } catch (error) {
        if (error instanceof OnnxFormatError) {
          outcomes.formatErrors++;
          assert.equal(typeof error.offset, 'number');
          assert.ok(error.offset >= 0 && error.offset <= bytes.length + 1_000_000, `offset ${error.offset}`);
        } else {
          problems.push(`case ${i} (seed ${seedIndex}, ${name}): ${(error as Error)?.stack ?? String(error)}`);
        }
      }
      const took = performance.now() - started;
      slowest = Math.max(slowest, took);
      if (took > TIME_BOUND_MS) problems.push(`case ${i} (seed ${seedIndex}, ${name}) took ${took.toFixed(0)} ms`);
    }
    t.diagnostic(
      `${CASES} cases: ${outcomes.summaries} summaries, ${outcomes.formatErrors} OnnxFormatErrors; ` +
        `tensors: ${outcomes.tensorsRead} read, ${outcomes.tensorErrors} OnnxFormatErrors; slowest ${slowest.toFixed(1)} ms`,
    );
    t.diagnostic(`mutations: ${[...byMutation].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    assert.deepEqual(problems.slice(0, 10), []);
    assert.ok(outcomes.formatErrors > 0 && outcomes.summaries > 0);
  });
});
