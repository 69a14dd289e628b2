/**
 * What the optimisation system tests share: the torch exports of test/fixtures/python/optimize_models.py (cached in
 * the temp folder under the script's hash), `mlw optimize` run from the built CLI, python-onnx's checker over a
 * list of files in one Python process, running a model in onnxruntime-node with its graph as written, and the
 * setup and assertions the recipe tests repeat (temporary folders, the external-data copy, one-line refusals).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createSession, makeTensor, QUIET_RUN_OPTIONS, type Feeds } from '../../../src/core/ort';
import { pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { pythonFixtureDir } from '../../support/pythonFixtureDir';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const SCRIPT = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'optimize_models.py');
const CHECKER = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'check_onnx_files.py');
export const HOW_TO = 'apt-get install python3-torch python3-onnx python3-numpy python3-sklearn (or set MLW_TEST_PYTHON)';

let stack: boolean | undefined;
export const hasTorchStack = (): boolean =>
  (stack ??= existsSync(SYSTEM_PYTHON) && pythonHas('torch') && pythonHas('onnx') && pythonHas('sklearn'));
let onnxOnly: boolean | undefined;
export const hasPythonOnnx = (): boolean => (onnxOnly ??= existsSync(SYSTEM_PYTHON) && pythonHas('onnx'));

/** The export directory, made on first use and filled atomically (safe across test processes). */
export function torchFixtures(): string {
  return pythonFixtureDir(SCRIPT, 'mlw-optimize-torch');
}

/** The benchmark settings the tests run `mlw optimize` with: few runs, it is the figures' presence that is tested. */
export const FAST = ['--runs', '20', '--warmup', '2'];

/** A temporary folder (named `prefix…`), removed after the test. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * A private copy of the MLP with external data (mlp_ext.onnx and mlp_ext.onnx.data) in `work/src`, so the parent's
 * data file can be taken away (`moveData`) to show a variant loads without it; `out` is `work/elsewhere`.
 */
export function externalDataCopy(work: string): { model: string; out: string; moveData: () => void } {
  const fx = torchFixtures();
  const src = path.join(work, 'src');
  mkdirSync(src);
  for (const f of ['mlp_ext.onnx', 'mlp_ext.onnx.data']) copyFileSync(path.join(fx, f), path.join(src, f));
  return {
    model: path.join(src, 'mlp_ext.onnx'),
    out: path.join(work, 'elsewhere'),
    moveData: () => renameSync(path.join(src, 'mlp_ext.onnx.data'), path.join(src, 'moved.data')),
  };
}

/** A refused run (`what` names it): exit 1, one line on stderr matching `pattern`, nothing on stdout, no `out` left. */
export function assertRefused(r: CliResult, what: string, pattern: RegExp, out: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line for ${what}: ${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '');
  assert.ok(!existsSync(out), `${what} left ${out}`);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function mlw(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface CheckedFile {
  path: string;
  ok: boolean;
  error: string | null;
  metadata: Record<string, string>;
  ops: string[];
}

/** onnx.checker.check_model on every file, in one Python process. */
export function checkWithPythonOnnx(files: string[]): CheckedFile[] {
  return JSON.parse(execFileSync(SYSTEM_PYTHON, [CHECKER, ...files], { encoding: 'utf8', timeout: 120_000 })) as CheckedFile[];
}

export const sha256Of = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Every tensor output of a model on `feeds`, at optimisation level 'disabled' (the graph as written). */
export async function runAsWritten(model: string, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const { session } = await createSession(model, { graphOptimizationLevel: 'disabled' });
  try {
    const names = session.outputMetadata.filter((m) => m.isTensor).map((m) => m.name);
    const out = await session.run(feeds, names, QUIET_RUN_OPTIONS);
    return Object.fromEntries(names.map((n) => [n, Float32Array.from(out[n].data as ArrayLike<number>, Number)]));
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let max = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name];
    if (!y || y.length !== x.length) return Number.POSITIVE_INFINITY;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i]) && Number.isNaN(y[i])) continue;
      if (x[i] === y[i]) continue;
      max = Math.max(max, Math.abs(x[i] - y[i]));
    }
  }
  return max;
}

/** Seeded float32 values in [-1, 1). */
export function floatTensor(shape: number[], seed = 7) {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = (s / 2147483648) * 2 - 1;
  }
  return makeTensor('float32', data, shape);
}
