/** `mlw inspect MODEL --shapes [--json]` through the bundled CLI (dist/mlw.js): valueInfo added, everything else unchanged. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const MLW = join(ROOT, 'dist', 'mlw.js');
const MODEL = join(CORPUS_DIR, 'node/test_layer_normalization_4d_axis_negative_2_expanded/model.onnx');

const mlw = (args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });

const ready = (t: TestContext): boolean =>
  needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build') &&
  needs(t, 'the libonnx-testdata corpus', hasCorpus(), 'apt-get install libonnx-testdata');

test('mlw inspect --shapes --json adds valueInfo for every tensor and keeps the summary as it was', (t) => {
  if (!ready(t)) return;
  const plain = mlw(['inspect', MODEL, '--json']);
  const shapes = mlw(['inspect', MODEL, '--shapes', '--json']);
  assert.equal(shapes.status, 0, shapes.stderr);
  const { valueInfo, ...summary } = JSON.parse(shapes.stdout);
  assert.deepEqual(summary, JSON.parse(plain.stdout));
  const byName = new Map(valueInfo.map((v: { name: string }) => [v.name, v]));
  assert.deepEqual(byName.get('X'), { name: 'X', elemType: 1, shape: [2, 3, 4, 5], source: 'file' });
  assert.equal(valueInfo.length, 33);
  const xShape = valueInfo.find((v: { name: string }) => v.name.endsWith('_XShape'));
  assert.deepEqual(xShape, { name: xShape.name, elemType: 7, shape: [4], source: 'inferred' });
  for (const v of valueInfo) assert.deepEqual(Object.keys(v), ['name', 'elemType', 'shape', 'source']);
});

test('mlw inspect --shapes prints the summary and then a table of tensors', (t) => {
  if (!ready(t)) return;
  const plain = mlw(['inspect', MODEL]);
  const r = mlw(['inspect', MODEL, '--shapes']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith(plain.stdout.trimEnd()), 'the summary text is unchanged');
  assert.match(r.stdout, /Tensors \(33, \d+ with every dim known\):/);
  assert.match(r.stdout, /^ {2}float\[2,3,4,5\] +file {4} {2}X$/m);
  assert.match(r.stdout, /^ {2}int64\[4\] +inferred {2}\S+_XShape$/m);
});
