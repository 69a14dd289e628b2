/**
 * ort-basic and simplify over the ONNX backend-test corpus (libonnx-testdata): every model (random ops left out) that
 * onnxruntime-node runs as written. Each variant must give the same outputs as the original on the model's own
 * test data (max abs diff <= 1e-5; both run at level disabled, so each graph runs as written), carry its
 * metadata props, and pass python-onnx's checker wherever the original does (one Python process for all
 * files); simplify must never grow a model. A few go through the whole mlw optimize run as well.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readTensorData, readTensorFile, summarizeModel } from '../../../src/core/onnx';
import { ortOptimizeRecipe, setMetadataProps, type OptimizationRecipe } from '../../../src/core/optimize';
import { simplifyRecipe } from '../../../src/core/optimize/simplify/simplifyRecipe';
import { createSession, QUIET_RUN_OPTIONS, tensorFromData, type Feeds, type OrtOutputs } from '../../../src/core/ort';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';
import { checkWithPythonOnnx, hasPythonOnnx, mlw } from './optimizeFixtures';

function corpusModels(): string[] {
  const pick: string[] = [];
  for (const group of ['pytorch-converted', 'pytorch-operator', 'simple', 'node']) {
    const dir = path.join(CORPUS_DIR, group);
    const names = readdirSync(dir).sort();
    names.forEach((name) => {
      if (/bernoulli|random/i.test(name)) return; // random outputs: no two runs agree
      pick.push(path.join(dir, name, 'model.onnx'));
    });
  }
  return pick;
}

async function testFeeds(model: string): Promise<Feeds> {
  const dir = path.join(path.dirname(model), 'test_data_set_0');
  const files = readdirSync(dir)
    .filter((f) => /^input_\d+\.pb$/.test(f))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  const feeds: Feeds = {};
  const { session } = await createSession(model, { graphOptimizationLevel: 'disabled' });
  try {
    for (const [i, f] of files.entries()) {
      const data = await readTensorData(await readTensorFile(path.join(dir, f)));
      const name = data.name && session.inputNames.includes(data.name) ? data.name : session.inputNames[i];
      feeds[name] = tensorFromData(data);
    }
  } finally {
    await session.release();
  }
  return feeds;
}

async function runAsWritten(model: string, feeds: Feeds): Promise<OrtOutputs> {
  const { session } = await createSession(model, { graphOptimizationLevel: 'disabled' });
  try {
    if ([...session.inputMetadata, ...session.outputMetadata].some((m) => !m.isTensor)) throw new Error('non-tensor inputs or outputs');
    return await session.run(feeds, session.outputNames, QUIET_RUN_OPTIONS);
  } finally {
    await session.release();
  }
}

/** Max abs difference over every output (NaN = NaN, strings and infinities must be equal). */
function difference(a: OrtOutputs, b: OrtOutputs): number {
  let max = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name];
    if (!y || x.dims.join(',') !== y.dims.join(',')) return Number.POSITIVE_INFINITY;
    const xs = x.data as ArrayLike<unknown>;
    const ys = y.data as ArrayLike<unknown>;
    for (let i = 0; i < xs.length; i++) {
      const p = xs[i];
      const q = ys[i];
      if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
      if (typeof p === 'string' || typeof p === 'bigint' || !Number.isFinite(p) || !Number.isFinite(q)) return Number.POSITIVE_INFINITY;
      max = Math.max(max, Math.abs((p as number) - (q as number)));
    }
  }
  return max;
}

async function throughCorpus(t: TestContext, recipe: OptimizationRecipe, options: { neverGrows: boolean }): Promise<void> {
  if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  if (!needs(t, 'python3-onnx', hasPythonOnnx(), 'apt-get install python3-onnx')) return;
  const out = mkdtempSync(path.join(tmpdir(), 'mlw-optimize-corpus-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const done: { model: string; variant: string }[] = [];
  const changed: string[] = [];
  const grown: string[] = [];
  let smaller = 0;
  const skipped: string[] = [];
  for (const model of corpusModels()) {
    let feeds: Feeds;
    let reference: OrtOutputs;
    try {
      feeds = await testFeeds(model);
      reference = await runAsWritten(model, feeds);
    } catch {
      skipped.push(model); // onnxruntime-node does not run the original: nothing to compare
      continue;
    }
    const check = recipe.applies(await summarizeModel(model));
    if (!check.ok) {
      skipped.push(model);
      continue;
    }
    const dir = path.join(out, String(done.length));
    mkdirSync(dir);
    const variant = path.join(dir, `model.${recipe.name}.onnx`);
    await recipe.apply(model, variant, {});
    const [before, after] = [statSync(model).size, statSync(variant).size];
    if (after > before) grown.push(`${path.relative(CORPUS_DIR, model)}: ${before} -> ${after} bytes`);
    if (after < before) smaller++;
    await setMetadataProps(variant, { 'mlw.optimize.recipe': recipe.name, 'mlw.optimize.parent_sha256': 'x' });
    const diff = difference(reference, await runAsWritten(variant, feeds));
    if (!(diff <= 1e-5)) changed.push(`${path.relative(CORPUS_DIR, model)}: max abs diff ${diff}`);
    done.push({ model, variant });
  }
  assert.deepEqual(changed, []);
  if (options.neverGrows) assert.deepEqual(grown, []);
  assert.ok(done.length >= 900, `only ${done.length} models ran (${skipped.length} skipped)`);
  const checked = checkWithPythonOnnx(done.flatMap((d) => [d.model, d.variant]));
  const invalid: string[] = [];
  for (let i = 0; i < done.length; i++) {
    const [original, variant] = [checked[2 * i], checked[2 * i + 1]];
    assert.equal(variant.metadata['mlw.optimize.recipe'], recipe.name);
    if (original.ok && !variant.ok) invalid.push(`${path.relative(CORPUS_DIR, done[i].model)}: ${variant.error}`);
  }
  assert.deepEqual(invalid, []);
  t.diagnostic(
    `${done.length} corpus models through ${recipe.name} (${smaller} smaller), ${skipped.length} skipped (the original does not run in onnxruntime-node)`,
  );
}

test('ort-basic keeps the outputs of the corpus models onnxruntime-node runs, and their files pass the checker', (t) =>
  throughCorpus(t, ortOptimizeRecipe('basic'), { neverGrows: false }));

test('simplify keeps the outputs of the corpus models, never grows one, and its files pass the checker', (t) =>
  throughCorpus(t, simplifyRecipe, { neverGrows: true }));

test('mlw optimize on corpus models: the whole run with the JSON report', (t) => {
  if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const out = mkdtempSync(path.join(tmpdir(), 'mlw-optimize-corpus-cli-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  for (const name of ['pytorch-converted/test_Conv2d', 'pytorch-converted/test_Conv2d_no_bias', 'simple/test_single_relu_model']) {
    const model = path.join(CORPUS_DIR, name, 'model.onnx');
    const r = mlw('optimize', model, '--recipe', 'ort-basic', '-o', path.join(out, name), '--json', '--runs', '10', '--warmup', '1');
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { variants: { recipe: string; agreement: { maxAbsDiff: number; cosine: number } }[] };
    assert.equal(report.variants[0].recipe, 'ort-basic');
    assert.ok(report.variants[0].agreement.maxAbsDiff <= 1e-5, `${name}: ${report.variants[0].agreement.maxAbsDiff}`);
    assert.ok(report.variants[0].agreement.cosine > 0.999999);
  }
});
