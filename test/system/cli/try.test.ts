import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const mlw = (...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 60_000 });

test('mlw try runs a corpus model once and ranks a softmax output', (t) => {
  if (!needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')) return;
  const r = mlw('try', path.join(CORPUS_DIR, 'node/test_softmax_example/model.onnx'), '--json', '--top', '2');
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as {
    outputs: { name: string; shape: number[]; topK?: { index: number; prob: number }[][]; scores?: string }[];
  };
  const y = result.outputs.find((o) => o.name === 'y');
  assert.deepEqual(y?.shape, [1, 3]);
  assert.equal(y?.scores, 'probabilities');
  assert.equal(y?.topK?.[0].length, 2);
  assert.ok(y!.topK![0][0].prob >= y!.topK![0][1].prob);
});

test('mlw try refuses a file that is not ONNX, naming why (exit 1)', () => {
  const r = mlw('try', path.resolve(__dirname, '../../../../package.json'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /is not an ONNX model: .*text/);
});
