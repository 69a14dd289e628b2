#!/usr/bin/env node
/**
 * Benchmark: `mlw edit` on a model with ~1 GiB of float32 weights (16 MatMul weights of 64 MiB), renamed and
 * re-dimmed (--rename-input x=features --set-dim x:0=batch --rename-output y=scores --set-meta edited=1):
 *   external, same folder   weights in weights.bin, OUT beside the model (OUT references the same file)
 *   external, other folder  OUT in another folder (weights.bin copied beside it)
 *   inline                  the weights inside the model file as raw_data (1 GiB streamed through the splice)
 * Each edit runs `mlw edit` (its main()) in a fresh child process; reports main()'s wall time, the whole
 * process's (Node start included) and peak RSS. Files are in
 * the page cache: the second of two runs is reported. Goal (issue 13): <= 2 s and <= 200 MB RSS.
 *
 * Run after compiling: npm run compile-tests && node bench/model-edit.mjs
 * Options (env): MLW_BENCH_TENSORS (16), MLW_BENCH_TENSOR_MIB (64), MLW_BENCH_KEEP=1 (keep the files).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'out/src/cli/mlw.js');
const WRITER = join(ROOT, 'out/test/unit/onnx/protoWriter.js');
const require = createRequire(import.meta.url);

if (process.argv[2] === '--measure') {
  const { main } = require(CLI);
  const t0 = performance.now();
  const realWrite = process.stdout.write.bind(process.stdout);
  let printed = '';
  process.stdout.write = (chunk) => {
    printed += chunk;
    return true;
  };
  const code = await main(process.argv.slice(3));
  const ms = performance.now() - t0;
  process.stdout.write = realWrite;
  realWrite(JSON.stringify({ code, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, printed }));
  process.exit(0);
}

if (!existsSync(CLI) || !existsSync(WRITER)) {
  console.error('Compile first: npm run compile-tests');
  process.exit(1);
}
const { ProtoWriter, graph, valueInfo } = require(WRITER);
const TENSORS = Number(process.env.MLW_BENCH_TENSORS ?? 16);
const MIB = Number(process.env.MLW_BENCH_TENSOR_MIB ?? 64);
const SIDE = Math.round(Math.sqrt((MIB * 1024 * 1024) / 4));
const BYTES = SIDE * SIDE * 4;
const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-edit-'));

const block = new Uint8Array(BYTES);
for (let i = 0; i < block.length; i += 4) new DataView(block.buffer).setFloat32(i, ((i / 4) % 97) / 97 - 0.5, true);

function nodes() {
  const list = [];
  for (let i = 0; i < TENSORS; i++) {
    list.push({
      opType: 'MatMul',
      name: `mm${i}`,
      inputs: [i === 0 ? 'x' : `h${i - 1}`, `w${i}`],
      outputs: [i === TENSORS - 1 ? 'y' : `h${i}`],
    });
  }
  return list;
}

/** The model file; with `inline`, each weight's raw_data is written straight after its header. */
function writeModel(path, inline) {
  const fd = openSync(path, 'w');
  const put = (bytes) => writeSync(fd, bytes);
  const header = new ProtoWriter();
  header.varint(1, 8);
  header.bytes(2, 'mlw-bench');
  const g = new ProtoWriter();
  graph({
    name: 'edit-bench',
    nodes: nodes(),
    inputs: [valueInfo('x', 1, [1, SIDE])],
    outputs: [valueInfo('y', 1, [1, SIDE])],
  })(g);
  const graphBytes = g.finish();
  // Initializers: external entries, or raw_data of BYTES each (header encoded, data streamed from `block`).
  const tensors = [];
  for (let i = 0; i < TENSORS; i++) {
    const t = new ProtoWriter().packedVarints(1, [SIDE, SIDE]).varint(2, 1).bytes(8, `w${i}`);
    if (!inline) {
      for (const [key, value] of Object.entries({ location: 'weights.bin', offset: String(i * BYTES), length: String(BYTES) })) {
        t.message(13, (e) => e.bytes(1, key).bytes(2, value));
      }
      t.varint(14, 1);
      tensors.push({ head: t.finish(), data: false });
    } else {
      t.raw([(9 << 3) | 2, ...ProtoWriter.varintBytes(BYTES)]);
      tensors.push({ head: t.finish(), data: true });
    }
  }
  const tensorSize = (t) => t.head.length + (t.data ? BYTES : 0);
  let graphSize = graphBytes.length;
  for (const t of tensors) graphSize += 1 + ProtoWriter.varintBytes(tensorSize(t)).length + tensorSize(t);
  put(header.finish());
  put(Uint8Array.from([(7 << 3) | 2, ...ProtoWriter.varintBytes(graphSize)]));
  put(graphBytes);
  for (const t of tensors) {
    put(Uint8Array.from([(5 << 3) | 2, ...ProtoWriter.varintBytes(tensorSize(t))]));
    put(t.head);
    if (t.data) put(block);
  }
  put(new ProtoWriter().message(8, (o) => o.bytes(1, '').varint(2, 13)).finish());
  closeSync(fd);
}

function writeWeights(path) {
  const fd = openSync(path, 'w');
  for (let i = 0; i < TENSORS; i++) writeSync(fd, block);
  closeSync(fd);
}

const EDIT = ['--rename-input', 'x=features', '--set-dim', 'x:0=batch', '--rename-output', 'y=scores', '--set-meta', 'edited=1'];

function measure(model, out) {
  let last;
  for (let run = 0; run < 2; run++) {
    rmSync(dirname(out) === dirname(model) ? out : dirname(out), { recursive: true, force: true });
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', 'edit', model, ...EDIT, '-o', out], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`measure failed: ${r.stderr}`);
    last = { ...JSON.parse(r.stdout), processMs: performance.now() - t0 };
    if (last.code !== 0) throw new Error(`mlw edit failed (${last.code}): ${r.stderr}`);
  }
  return last;
}

try {
  const ext = join(dir, 'ext');
  mkdirSync(ext);
  writeWeights(join(ext, 'weights.bin'));
  writeModel(join(ext, 'model.onnx'), false);
  const inline = join(dir, 'inline');
  mkdirSync(inline);
  writeModel(join(inline, 'model.onnx'), true);
  const gib = (TENSORS * BYTES) / 1024 ** 3;
  console.log(`${TENSORS} float32 weights of ${SIDE}x${SIDE} (${gib.toFixed(2)} GiB), edit: ${EDIT.join(' ')}`);
  const cases = [
    ['external, same folder', join(ext, 'model.onnx'), join(ext, 'edited.onnx')],
    ['external, other folder', join(ext, 'model.onnx'), join(dir, 'other/edited.onnx')],
    ['inline', join(inline, 'model.onnx'), join(inline, 'edited.onnx')],
  ];
  for (const [name, model, out] of cases) {
    const m = measure(model, out);
    const size = statSync(out).size;
    const note = m.printed.split('\n').find((l) => l.includes('external data')) ?? '';
    console.log(
      `${name.padEnd(24)} ${(m.ms / 1000).toFixed(2)} s (process ${(m.processMs / 1000).toFixed(2)} s)  peak RSS ${m.maxRssMiB.toFixed(0)} MiB  wrote ${(size / 1024 ** 2).toFixed(size > 1024 ** 2 ? 0 : 3)} MiB  ${note.trim()}`,
    );
  }
} finally {
  if (process.env.MLW_BENCH_KEEP === '1') console.log(`files kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
