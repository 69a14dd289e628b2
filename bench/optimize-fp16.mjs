// The fp16 recipe's performance goals (issue 14): fp16 halves weight bytes (within 2 %) and keeps cosine ≥ 0.999
// on the torch exports (MLP, CNN with BatchNorm, 2-layer Transformer encoder, and the 6-layer d_model 256
// encoder at sequence 128), with p50 against float32 in the same interleaved run; and optimizing a model with
// 1 GiB of float32 weights (16 MatMul weights of 64 MiB, in an external data file) stays under 300 MB RSS: the
// rewrite alone, and the whole `mlw optimize` process (its sessions run in child processes, whose own peak RSS
// the report gives).
// Run by hand: npm run build && npm run compile-tests && node bench/optimize-fp16.mjs [--runs N] [--skip-large]
// Needs Debian's python3-torch, python3-onnx and python3-sklearn (/usr/bin/python3, or MLW_TEST_PYTHON).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT as root, arg, torchFixtures } from './lib/torchFixtures.mjs';

const require = createRequire(import.meta.url);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;

// Child modes: one measurement in a fresh process, printing JSON with its own peak RSS.
if (process.argv[2] === '--measure-rewrite') {
  const { convertToFp16 } = require(join(root, 'out/src/core/optimize/fp16Recipe.js'));
  const t0 = performance.now();
  const changes = await convertToFp16(process.argv[3], process.argv[4]);
  console.log(JSON.stringify({ ms: performance.now() - t0, maxRssBytes: process.resourceUsage().maxRSS * 1024, changes }));
  process.exit(0);
}
if (process.argv[2] === '--measure-cli') {
  const { main } = require(join(root, 'out/src/cli/mlw.js'));
  let printed = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk) => ((printed += chunk), true);
  const t0 = performance.now();
  const code = await main(process.argv.slice(3));
  const ms = performance.now() - t0;
  process.stdout.write = write;
  write(JSON.stringify({ code, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, printed }));
  process.exit(0);
}

const runs = arg('--runs', '200');
const fixtures = torchFixtures();
const out = mkdtempSync(join(tmpdir(), 'mlw-fp16-bench-'));

function optimize(model, extra) {
  const r = spawnSync(
    process.execPath,
    [join(root, 'dist/mlw.js'), 'optimize', model, '--recipe', 'fp16', '-o', out, '--json', '--runs', runs, ...extra],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

// --- A 1 GiB float32 model, written with a minimal protobuf encoder (MatMul chain, weights in weights.bin).
const varint = (v) => {
  const b = [];
  while (v >= 0x80) {
    b.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  b.push(v);
  return b;
};
const bytes = (s) => [...Buffer.from(s)];
const field = (n, payload) => [...varint(n * 8 + 2), ...varint(payload.length), ...payload];
const int = (n, v) => [...varint(n * 8), ...varint(v)];
const typeProto = (dims) =>
  field(1, [
    ...int(1, 1),
    ...field(
      2,
      dims.flatMap((d) => field(1, int(1, d))),
    ),
  ]);
const valueInfo = (name, dims) => [...field(1, bytes(name)), ...field(2, typeProto(dims))];

function writeLargeModel(dir, tensors, side) {
  const size = side * side * 4;
  const block = new Float32Array(side * side);
  let s = 1;
  const a = Math.sqrt(3) / side; // uniform values of std 1/side: each MatMul keeps the activations' scale
  for (let i = 0; i < block.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    block[i] = (s / 2 ** 32) * 2 * a - a;
  }
  const fd = openSync(join(dir, 'weights.bin'), 'w');
  for (let i = 0; i < tensors; i++) writeSync(fd, new Uint8Array(block.buffer));
  closeSync(fd);
  const g = [];
  for (let i = 0; i < tensors; i++) {
    const node = [
      ...field(1, bytes(i === 0 ? 'x' : `h${i - 1}`)),
      ...field(1, bytes(`w${i}`)),
      ...field(2, bytes(i === tensors - 1 ? 'y' : `h${i}`)),
    ];
    g.push(...field(1, [...node, ...field(3, bytes(`mm${i}`)), ...field(4, bytes('MatMul'))]));
  }
  g.push(...field(2, bytes('fp16-bench')));
  for (let i = 0; i < tensors; i++) {
    const entry = (k, v) => field(13, [...field(1, bytes(k)), ...field(2, bytes(v))]);
    const t = [...int(1, side), ...int(1, side), ...int(2, 1), ...field(8, bytes(`w${i}`))];
    t.push(...entry('location', 'weights.bin'), ...entry('offset', String(i * size)), ...entry('length', String(size)), ...int(14, 1));
    g.push(...field(5, t));
  }
  g.push(...field(11, valueInfo('x', [1, side])), ...field(12, valueInfo('y', [1, side])));
  const m = [...int(1, 8), ...field(2, bytes('mlw-bench')), ...field(7, g), ...field(8, int(2, 17))];
  const fdm = openSync(join(dir, 'large.onnx'), 'w');
  writeSync(fdm, Uint8Array.from(m));
  closeSync(fdm);
  return tensors * size;
}

function measure(mode, args) {
  const r = spawnSync(process.execPath, [import.meta.filename, mode, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

try {
  const cases = [
    ['mlp', []],
    ['cnn', []],
    ['transformer', ['--dim', 'sequence=9']],
    ...(process.argv.includes('--skip-large') ? [] : [['transformer_large', ['--dim', 'sequence=128']]]),
  ];
  let header = false;
  for (const [name, extra] of cases) {
    const report = optimize(join(fixtures, `${name}.onnx`), extra);
    const o = report.original;
    const [v] = report.variants;
    if (!header) {
      const b = report.measurement.benchmark;
      console.log(`onnxruntime ${report.measurement.onnxruntime}, ${report.measurement.cores} cores, ${report.measurement.cpu}`);
      console.log(`${b.runs} runs per model interleaved, sessions at level ${b.graphOptimizationLevel}, batch ${b.batchSize}`);
      header = true;
    }
    const float = o.weightBytesByDtype.float ?? 0;
    console.log(
      `${name.padEnd(18)} weights ${mib(o.weightBytes).padStart(9)} -> ${mib(v.weightBytes).padStart(9)} (${((v.weightBytes / o.weightBytes) * 100).toFixed(2)} %; ` +
        `float32 part ${((v.weightBytesByDtype.float16 / float) * 100).toFixed(2)} %)  cosine ${v.agreement.cosine.toFixed(6)}  max abs ${v.agreement.maxAbsDiff.toExponential(2)}  ` +
        `p50 ${o.p50Ms.toFixed(3)} -> ${v.p50Ms.toFixed(3)} ms (${(v.p50Ms / o.p50Ms).toFixed(2)}×)  file ${mib(o.fileSize)} -> ${mib(v.fileSize)}`,
    );
    console.log(`  ${v.verdict}`);
  }

  const big = join(out, 'large');
  mkdirSync(big);
  const weightBytes = writeLargeModel(big, 16, 4096);
  console.log(`\nlarge model: 16 float32 MatMul weights of 4096×4096, ${mib(weightBytes)} in weights.bin`);
  const rewrite = measure('--measure-rewrite', [join(big, 'large.onnx'), join(big, 'large.fp16.onnx')]);
  console.log(
    `  rewrite alone (convertToFp16): ${(rewrite.ms / 1000).toFixed(1)} s, peak RSS ${mib(rewrite.maxRssBytes)}, wrote ${mib(statSync(join(big, 'large.fp16.onnx')).size)}`,
  );
  rmSync(join(big, 'large.fp16.onnx'));
  const cli = measure('--measure-cli', [
    'optimize',
    join(big, 'large.onnx'),
    '--recipe',
    'fp16',
    '-o',
    join(out, 'large-out'),
    '--json',
    '--runs',
    '5',
    '--warmup',
    '1',
  ]);
  if (cli.code !== 0) throw new Error(`mlw optimize exited ${cli.code}`);
  const report = JSON.parse(cli.printed);
  const v = report.variants[0];
  console.log(
    `  whole mlw optimize: ${(cli.ms / 1000).toFixed(1)} s, peak RSS of the mlw process ${mib(cli.maxRssBytes)}; ` +
      `session processes: original ${mib(report.original.peakRssBytes)}, variant ${mib(v.peakRssBytes)}`,
  );
  console.log(
    `  weights ${mib(report.original.weightBytes)} -> ${mib(v.weightBytes)}, cosine ${v.agreement.cosine.toFixed(6)}, p50 ${report.original.p50Ms.toFixed(1)} -> ${v.p50Ms.toFixed(1)} ms`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
