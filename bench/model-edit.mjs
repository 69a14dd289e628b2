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
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WRITER, writeLargeModel } from './lib/largeModel.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'out/src/cli/mlw.js');
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
const TENSORS = Number(process.env.MLW_BENCH_TENSORS ?? 16);
const MIB = Number(process.env.MLW_BENCH_TENSOR_MIB ?? 64);
const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-edit-'));

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
  const { side: SIDE, bytes: BYTES } = writeLargeModel(ext, { tensors: TENSORS, mib: MIB, inline: false });
  const inline = join(dir, 'inline');
  mkdirSync(inline);
  writeLargeModel(inline, { tensors: TENSORS, mib: MIB, inline: true });
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
