/**
 * What the optimisation system tests share: the torch exports of test/fixtures/python/optimize_models.py (cached in
 * the temp folder under the script's hash), `mlw optimize` run from the built CLI, python-onnx's checker over a
 * list of files in one Python process, and running a model in onnxruntime-node with its graph as written.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
