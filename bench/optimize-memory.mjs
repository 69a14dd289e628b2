#!/usr/bin/env node
/**
 * Benchmark: every built optimisation recipe on a model with ~1 GiB of float32 weights (16 MatMul weights of
 * 64 MiB), weights external and inline. Each recipe's rewrite (recipe.apply, as mlw optimize runs it before
 * checking the variant) runs in a fresh child process; reports wall time, peak RSS and what it wrote.
 * Goal (issue 14): under 300 MB RSS. Recipes that do not apply to this model say why.
 *
 * Run after compiling: npm run compile-tests && node bench/optimize-memory.mjs [RECIPE...]
 * Options (env): MLW_BENCH_TENSORS (16), MLW_BENCH_TENSOR_MIB (64).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, WRITER, writeLargeModel } from './lib/largeModel.mjs';

const require = createRequire(import.meta.url);
const OPTIMIZE = join(ROOT, 'out/src/core/optimize/index.js');
const SUMMARY = join(ROOT, 'out/src/core/onnx/summarizeModel.js');

if (process.argv[2] === '--measure') {
  const [, , , name, model, out] = process.argv;
  const { parseRecipes } = require(OPTIMIZE);
  const { summarizeModel } = require(SUMMARY);
  const [recipe] = parseRecipes(name);
  const check = recipe.applies(await summarizeModel(model));
  if (!check.ok) {
    process.stdout.write(JSON.stringify({ refused: check.reason }));
    process.exit(0);
  }
  const t0 = performance.now();
  try {
    await recipe.apply(model, out, {});
  } catch (error) {
    process.stdout.write(JSON.stringify({ refused: error.message.split('\n')[0] }));
    process.exit(0);
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

if (!existsSync(OPTIMIZE) || !existsSync(WRITER)) {
  console.error('Compile first: npm run compile-tests');
  process.exit(1);
}
const { BUILT_RECIPES } = require(join(ROOT, 'out/src/core/optimize/recipeCatalog.js'));
const names = process.argv.length > 2 ? process.argv.slice(2) : BUILT_RECIPES.map((r) => r.name);
const TENSORS = Number(process.env.MLW_BENCH_TENSORS ?? 16);
const MIB = Number(process.env.MLW_BENCH_TENSOR_MIB ?? 64);
const dir = mkdtempSync(join(tmpdir(), 'mlw-bench-optimize-memory-'));
const folderBytes = (folder, stem) =>
  readdirSync(folder)
    .filter((f) => f.startsWith(stem))
    .reduce((sum, f) => sum + statSync(join(folder, f)).size, 0);

try {
  const models = {};
  for (const inline of [false, true]) {
    const folder = join(dir, inline ? 'inline' : 'external');
    mkdirSync(folder);
    const { side, bytes } = writeLargeModel(folder, { tensors: TENSORS, mib: MIB, inline });
    models[inline ? 'inline' : 'external'] = join(folder, 'model.onnx');
    if (!inline) console.log(`${TENSORS} float32 weights of ${side}x${side} (${((TENSORS * bytes) / 1024 ** 3).toFixed(2)} GiB)`);
  }
  for (const name of names) {
    for (const [kind, model] of Object.entries(models)) {
      const outDir = join(dir, `out-${name}-${kind}`);
      mkdirSync(outDir);
      const out = join(outDir, `model.${name}.onnx`);
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', name, model, out], { encoding: 'utf8' });
      const label = `${name} (${kind})`.padEnd(28);
      if (r.status !== 0) {
        console.log(
          `${label} failed: ${(
            r.stderr
              .trim()
              .split('\n')
              .find((l) => /Error|error/.test(l)) ?? r.stderr.trim()
          ).slice(0, 200)}`,
        );
        continue;
      }
      const m = JSON.parse(r.stdout);
      if (m.refused) console.log(`${label} not measured: ${m.refused}`);
      else
        console.log(
          `${label} ${(m.ms / 1000).toFixed(2)} s  peak RSS ${m.maxRssMiB.toFixed(0)} MiB  wrote ${(folderBytes(outDir, `model.${name}.onnx`) / 1024 ** 2).toFixed(0)} MiB`,
        );
      rmSync(outDir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
