#!/usr/bin/env node
/**
 * Benchmark: summarizeModel on a model with ~1 GiB of weights stored INSIDE the .onnx (raw_data).
 * Goals: summary <= 100 ms, extra memory <= 64 MB, >= 20x faster than a full protobuf parse.
 *
 * Run after compiling: npx tsc -p tsconfig.test.json && node bench/onnx-summary.mjs
 * Options (env): MLW_BENCH_TENSORS (256), MLW_BENCH_TENSOR_MIB (4), MLW_BENCH_RUNS (7), MLW_BENCH_KEEP=1 (keep the file).
 * Each measurement runs in a fresh child process so memory figures are not polluted by the generator.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, openSync, writeSync, closeSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED = join(ROOT, 'out/src/core/onnx/summarizeModel.js');
const WRITER = join(ROOT, 'out/test/unit/onnx/protoWriter.js');
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------- child modes
const mode = process.argv[2];
if (mode === '--measure-summary') {
  const { summarizeModel } = require(COMPILED);
  const path = process.argv[3];
  const runs = Number(process.argv[4]);
  const options = { syncReads: process.argv[5] === 'sync' };
  globalThis.gc?.();
  const before = process.memoryUsage();
  const times = [];
  let summary;
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    summary = await summarizeModel(path, options);
    times.push(performance.now() - t0);
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }
  process.stdout.write(
    JSON.stringify({
      times,
      rssDelta: peakRss - before.rss,
      heapDelta: peakHeap - before.heapUsed,
      maxRssKiB: process.resourceUsage().maxRSS,
      baseRss: before.rss,
      parameterCount: summary.parameterCount,
      parameterBytes: summary.parameterBytes,
      initializerCount: summary.initializerCount,
      bytesRead: summary.bytesRead,
      fileSize: summary.fileSize,
    }),
  );
  process.exit(0);
}
if (mode === '--measure-protobufjs') {
  const protobuf = require('protobufjs');
  const path = process.argv[3];
  const root = protobuf.loadSync(process.argv[4]);
  const ModelProto = root.lookupType('onnx.ModelProto');
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const bytes = readFileSync(path);
  const t1 = performance.now();
  const message = ModelProto.decode(bytes);
  const t2 = performance.now();
  process.stdout.write(
    JSON.stringify({
      readMs: t1 - t0,
      decodeMs: t2 - t1,
      totalMs: t2 - t0,
      rssDelta: process.memoryUsage().rss - before,
      initializers: message.graph.initializer.length,
    }),
  );
  process.exit(0);
}

// ---------------------------------------------------------------- generator
/**
 * Writes the model with the tests' protobuf writer (test/unit/onnx/protoWriter.ts, compiled to out/), piece by
 * piece: each initializer's fields and raw_data length, then its 4 MiB of data, so 1 GiB is never in memory.
 */
function writeModel(path, tensors, tensorMiB) {
  const { ProtoWriter, node, valueInfo } = require(WRITER);
  const varint = ProtoWriter.varintBytes;
  const FLOAT = 1;
  const side = Math.round(Math.sqrt((tensorMiB * 1024 * 1024) / 4));
  const dataBytes = side * side * 4;
  const fd = openSync(path, 'w');
  const write = (bytes) => writeSync(fd, bytes instanceof ProtoWriter ? bytes.finish() : Uint8Array.from(bytes));
  // Nodes: a chain of MatMuls using every weight.
  const graphHead = new ProtoWriter();
  for (let i = 0; i < tensors; i++) {
    graphHead.message(1, node({ opType: 'MatMul', inputs: [i === 0 ? 'x' : `h${i - 1}`, `w${i}`], outputs: [`h${i}`], name: `mm${i}` }));
  }
  graphHead.bytes(2, 'bench');
  const graphTail = new ProtoWriter()
    .message(11, valueInfo('x', FLOAT, ['N', side]))
    .message(12, valueInfo(`h${tensors - 1}`, FLOAT, ['N', side]));
  // TensorProto dims, data_type, name, then the key and length of raw_data; the data follows.
  const tensorHeads = [];
  for (let i = 0; i < tensors; i++) {
    tensorHeads.push(
      new ProtoWriter().packedVarints(1, [side, side]).varint(2, FLOAT).bytes(8, `w${i}`).key(9, 2).raw(varint(dataBytes)).finish(),
    );
  }
  const head = graphHead.finish();
  const tail = graphTail.finish();
  const tensorLen = (h) => h.length + dataBytes;
  let graphLen = head.length + tail.length;
  for (const h of tensorHeads) graphLen += 1 + varint(tensorLen(h)).length + tensorLen(h); // key(5, 2) is one byte
  write(new ProtoWriter().varint(1, 8).bytes(2, 'mlw-bench').bytes(3, '1').key(7, 2).raw(varint(graphLen)));
  writeSync(fd, head);
  const data = new Uint8Array(dataBytes);
  const view = new Float32Array(data.buffer);
  for (let i = 0; i < view.length; i++) view[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  for (const h of tensorHeads) {
    write(
      new ProtoWriter()
        .key(5, 2)
        .raw(varint(tensorLen(h)))
        .raw(h),
    );
    writeSync(fd, data);
  }
  writeSync(fd, tail);
  write(new ProtoWriter().message(8, (o) => o.bytes(1, '').varint(2, 17)));
  closeSync(fd);
  return { side, dataBytes };
}

// ---------------------------------------------------------------- main
for (const file of [COMPILED, WRITER]) {
  if (!existsSync(file)) {
    console.error(`missing ${file}: run "npx tsc -p tsconfig.test.json" first`);
    process.exit(1);
  }
}
const tensors = Number(process.env.MLW_BENCH_TENSORS ?? 256);
const tensorMiB = Number(process.env.MLW_BENCH_TENSOR_MIB ?? 4);
const runs = Number(process.env.MLW_BENCH_RUNS ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'mlw-onnx-bench-'));
const path = join(dir, 'big.onnx');
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
try {
  let t0 = performance.now();
  const { side } = writeModel(path, tensors, tensorMiB);
  const size = statSync(path).size;
  console.log(
    `model: ${tensors} initializers of float[${side},${side}] inside the .onnx, file ${mib(size)} (written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const child = (args, extra = []) => {
    const r = spawnSync(process.execPath, [...extra, fileURLToPath(import.meta.url), ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`child ${args[0]} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  // summarizeModel: first run of a fresh process (cold JIT, warm page cache), then repeated runs;
  // default async reads (extension host), then syncReads (CLI / worker).
  let first;
  let median;
  for (const io of ['async', 'sync']) {
    const s = child(['--measure-summary', path, String(runs), io], ['--expose-gc']);
    const sorted = [...s.times].sort((a, b) => a - b);
    const m = sorted[Math.floor(sorted.length / 2)];
    if (io === 'async') [first, median] = [s.times[0], m];
    console.log(`\nsummarizeModel, ${io === 'async' ? 'default async reads' : 'syncReads: true'} (${runs} runs in a fresh process):`);
    console.log(`  first run      ${s.times[0].toFixed(1)} ms   (goal <= 100 ms)`);
    console.log(
      `  median         ${m.toFixed(1)} ms   min ${sorted[0].toFixed(1)} ms   all: ${s.times.map((t) => t.toFixed(1)).join(' ')}`,
    );
    console.log(
      `  extra memory   RSS +${mib(s.rssDelta)}, heap +${mib(s.heapDelta)}   (goal <= 64 MB; process max RSS ${mib(s.maxRssKiB * 1024)})`,
    );
    console.log(`  bytes read     ${s.bytesRead} of ${s.fileSize} (${((100 * s.bytesRead) / s.fileSize).toFixed(3)} %)`);
    console.log(`  result         ${s.initializerCount} initializers, ${s.parameterCount} parameters, ${mib(s.parameterBytes)}`);
  }

  // Full parse 1: protobufjs (in node_modules as a transitive dependency) with onnx.proto.
  const protoFile = ['/usr/include/onnx/onnx.proto', '/usr/lib/python3/dist-packages/onnx/onnx.proto'].find(existsSync);
  let fullMs;
  try {
    require.resolve('protobufjs');
    if (!protoFile) throw new Error('onnx.proto not found (apt-get install libonnx-dev or python3-onnx)');
    const p = child(['--measure-protobufjs', path, protoFile], ['--max-old-space-size=8192']);
    fullMs = p.totalMs;
    console.log(`\nfull parse, protobufjs ModelProto.decode (fresh process):`);
    console.log(
      `  readFileSync ${p.readMs.toFixed(0)} ms + decode ${p.decodeMs.toFixed(0)} ms = ${p.totalMs.toFixed(0)} ms, RSS +${mib(p.rssDelta)}`,
    );
    console.log(
      `  ratio vs async summary: ${(p.totalMs / first).toFixed(0)}x (first run), ${(p.totalMs / median).toFixed(0)}x (median)   (goal >= 20x)`,
    );
  } catch (error) {
    console.log(`\nprotobufjs full parse skipped: ${error.message}`);
  }

  // Full parse 2: python onnx.load (Debian python3-onnx), timed inside Python (interpreter start excluded).
  const python = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';
  try {
    const out = execFileSync(
      python,
      [
        '-c',
        'import sys,time,onnx,resource\nt=time.perf_counter()\nm=onnx.load(sys.argv[1])\nd=time.perf_counter()-t\nprint(d*1000, len(m.graph.initializer), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)',
        path,
      ],
      { encoding: 'utf8', timeout: 600_000 },
    )
      .trim()
      .split(/\s+/);
    const ms = Number(out[0]);
    console.log(`\nfull parse, python onnx.load: ${ms.toFixed(0)} ms (${out[1]} initializers, max RSS ${mib(Number(out[2]) * 1024)})`);
    console.log(`  ratio vs async summary: ${(ms / first).toFixed(0)}x (first run), ${(ms / median).toFixed(0)}x (median)`);
    fullMs ??= ms;
  } catch (error) {
    console.log(`\npython onnx.load skipped: ${error.message.split('\n')[0]}`);
  }
  if (fullMs === undefined) console.log('\nno full parser available: ratio not measured');
} finally {
  if (process.env.MLW_BENCH_KEEP === '1') console.log(`\nkept ${path}`);
  else rmSync(dir, { recursive: true, force: true });
}
