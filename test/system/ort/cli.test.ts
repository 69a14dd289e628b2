/** `mlw inspect` and `mlw bench` in --json mode through the bundled CLI (dist/mlw.js) in a child process. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hasCorpus, needs } from '../../support/requires';
import { CORPUS_CONV } from './fixtures';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const MLW = join(ROOT, 'dist', 'mlw.js');

function mlw(args: string[]) {
  return spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 60_000, cwd: ROOT });
}

const ready = (t: TestContext) =>
  needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build') &&
  needs(t, 'the libonnx-testdata corpus', hasCorpus(), 'apt-get install libonnx-testdata');

test('mlw inspect --json prints the ModelSummary; text mode is readable', (t) => {
  if (!ready(t)) return;
  const r = mlw(['inspect', CORPUS_CONV, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.path, CORPUS_CONV);
  assert.equal(summary.inputs.length, 1);
  assert.ok(summary.operators.some((o: { opType: string }) => o.opType === 'Conv'));
  const text = mlw(['inspect', CORPUS_CONV]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /IR version \d+/);
  assert.match(text.stdout, /Opsets: ai\.onnx \d+/);
  assert.match(text.stdout, /Inputs \(1\):/);
  assert.match(text.stdout, /Conv/);
});

test('mlw inspect exits 1 with a clear message for non-ONNX, corrupt and missing files', (t) => {
  if (!ready(t)) return;
  const notOnnx = mlw(['inspect', join(ROOT, 'package.json')]);
  assert.equal(notOnnx.status, 1);
  assert.match(notOnnx.stderr, /is not an ONNX model/);
  const missing = mlw(['inspect', '/nonexistent.onnx']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such file/);
  const dir = mkdtempSync(join(tmpdir(), 'mlw-inspect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = readFileSync(CORPUS_CONV);
  writeFileSync(join(dir, 'corrupt.onnx'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const corrupt = mlw(['inspect', join(dir, 'corrupt.onnx')]);
  assert.equal(corrupt.status, 1, corrupt.stdout);
  assert.match(corrupt.stderr, /corrupt\.onnx is not (a valid ONNX model|an ONNX model)/);
});

test('mlw bench --json gives the benchmark result; bad options exit 2', (t) => {
  if (!ready(t)) return;
  const r = mlw(['bench', CORPUS_CONV, '--runs', '20', '--warmup', '2', '--threads', '1', '--opt', 'basic', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.latenciesMs.length, 20);
  assert.ok(result.p50 <= result.p90 && result.p90 <= result.p99);
  assert.ok(result.throughput > 0);
  assert.equal(result.config.graphOptimizationLevel, 'basic');
  assert.equal(result.config.intraOpThreads, 1);
  const text = mlw(['bench', CORPUS_CONV, '--runs', '5', '--warmup', '1']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /latency ms\s+p50/);
  assert.equal(mlw(['bench', CORPUS_CONV, '--opt', 'fast']).status, 2);
  assert.equal(mlw(['bench', CORPUS_CONV, '--dim', 'seq']).status, 2);
  const missing = mlw(['bench', '/nonexistent.onnx']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nonexistent\.onnx: file not found/);
});
