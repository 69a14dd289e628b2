#!/usr/bin/env node
/**
 * Benchmark: comparing the weights of two models with ~1 GiB of external float32 data each (compareModelFiles,
 * what `mlw diff` and Compare With… run). Three B models against one A:
 *   same      a copy of A's files (every chunk byte-equal: the memcmp fast path)
 *   sparse    every tensor has 3 changed elements (each tensor's chunks holding them are decoded)
 *   dense     every element of every tensor differs (everything decoded: the worst case)
 * Reports wall time and peak RSS of a fresh child process per comparison (files in the page cache: the second
 * of two runs is reported).
 *
 * Run after compiling: npm run compile-tests && node bench/weights-diff.mjs
 * Options (env): MLW_BENCH_TENSORS (16), MLW_BENCH_TENSOR_MIB (64), MLW_BENCH_KEEP=1 (keep the files).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED = join(ROOT, 'out/src/core/onnx/compareModelFiles.js');
const WRITER = join(ROOT, 'out/test/unit/onnx/protoWriter.js');
const require = createRequire(import.meta.url);

if (process.argv[2] === '--measure') {
  const { compareModelFiles } = require(COMPILED);
  const t0 = performance.now();
  const c = await compareModelFiles(process.argv[3], process.argv[4]);
  const ms = performance.now() - t0;
  process.stdout.write(
    JSON.stringify({
      ms,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      changed: c.weightsSummary.changed,
      compared: c.weightsSummary.compared,
      bytesRead: c.weightsSummary.bytesRead,
      maxAbs: Math.max(0, ...c.weights.map((w) => w.maxAbsDiff ?? 0)),
    }),
  );
  process.exit(0);
}

if (!existsSync(COMPILED) || !existsSync(WRITER)) {
  console.error('Compile first: npm run compile-tests');
  process.exit(1);
}
const { model, valueInfo } = require(WRITER);
const TENSORS = Number(process.env.MLW_BENCH_TENSORS ?? 16);
const MIB = Number(process.env.MLW_BENCH_TENSOR_MIB ?? 64);
const ELEMENTS = (MIB * 1024 * 1024) / 4;
const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-wdiff-'));

function writeModel(folder) {
  mkdirSync(folder, { recursive: true });
  const initializers = [];
  for (let i = 0; i < TENSORS; i++) {
    initializers.push({
      name: `layer${i}.weight`,
      dataType: 1,
      dims: [ELEMENTS / 1024, 1024],
      external: { location: 'weights.bin', offset: String(i * ELEMENTS * 4), length: String(ELEMENTS * 4) },
    });
  }
  const bytes = model({
    graph: {
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
      initializers,
      inputs: [valueInfo('x', 1, [1])],
      outputs: [valueInfo('y', 1, [1])],
    },
  });
  writeFileSync(join(folder, 'model.onnx'), bytes);
}

/** Writes the weights in 4 MiB chunks; `edit(values, tensor, chunkStart)` may change a chunk before it is written. */
function writeWeights(folder, edit) {
  const fd = openSync(join(folder, 'weights.bin'), 'w');
  const chunk = new Float32Array(1024 * 1024);
  let seed = 12345;
  for (let t = 0; t < TENSORS; t++) {
    for (let start = 0; start < ELEMENTS; start += chunk.length) {
      for (let i = 0; i < chunk.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        chunk[i] = seed / 2 ** 32 - 0.5;
      }
      edit?.(chunk, t, start);
      writeSync(fd, new Uint8Array(chunk.buffer));
    }
  }
  closeSync(fd);
}

const t0 = performance.now();
const a = join(dir, 'a');
writeModel(a);
writeWeights(a);
const same = join(dir, 'same');
mkdirSync(same);
copyFileSync(join(a, 'model.onnx'), join(same, 'model.onnx'));
copyFileSync(join(a, 'weights.bin'), join(same, 'weights.bin'));
const sparse = join(dir, 'sparse');
writeModel(sparse);
const hits = [0, Math.floor(ELEMENTS / 2) + 7, ELEMENTS - 1];
writeWeights(sparse, (values, t, start) => {
  for (const h of hits) if (h >= start && h < start + values.length) values[h - start] += 0.001 * (t + 1);
});
const dense = join(dir, 'dense');
writeModel(dense);
writeWeights(dense, (values) => {
  for (let i = 0; i < values.length; i++) values[i] *= 1.0001;
});
console.log(`wrote 4 models of ${TENSORS} x ${MIB} MiB external float32 in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`);

const measure = (b) => {
  let result;
  for (let run = 0; run < 2; run++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', join(a, 'model.onnx'), join(b, 'model.onnx')], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    result = JSON.parse(r.stdout);
  }
  return result;
};

console.log('case     time      peak RSS   changed/compared  read');
for (const [label, b] of [
  ['same', same],
  ['sparse', sparse],
  ['dense', dense],
]) {
  const r = measure(b);
  console.log(
    `${label.padEnd(8)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  ${r.maxRssMiB.toFixed(0).padStart(5)} MiB   ${`${r.changed}/${r.compared}`.padStart(8)}          ${(r.bytesRead / 2 ** 30).toFixed(2)} GiB`,
  );
}
if (process.env.MLW_BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
