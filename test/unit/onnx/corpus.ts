/**
 * The ONNX backend-test corpus and the python-onnx truth about it, cached in the temp folder keyed by the
 * truth script and the corpus files (path, size, mtime), so reruns do not start Python again.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CORPUS_DIR, SYSTEM_PYTHON } from '../../support/requires';
import { hashPythonSources } from '../../support/pythonFixtureDir';

export const REPO_ROOT = resolve(__dirname, '../../../..');
export const TRUTH_SCRIPT = join(REPO_ROOT, 'test/fixtures/onnx_truth.py');

/** Absolute paths of every model.onnx under the corpus, sorted by relative path (as the script sorts them). */
export function listCorpusModels(root = CORPUS_DIR): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === 'model.onnx') found.push(path);
    }
  };
  walk(root);
  // Python sorts full paths as strings (code point order); do the same.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface ValueTruth {
  name: string;
  type: string;
  elem_type: number | null;
  shape: (number | string | null)[] | null;
}

export interface ModelTruth {
  path: string;
  ok: boolean;
  error?: string;
  ir_version: number;
  producer_name: string;
  producer_version: string;
  model_version: number;
  opsets: [string, number][];
  graph_name: string;
  inputs: ValueTruth[];
  outputs: ValueTruth[];
  initializers: string[];
  initializer_types: number[];
  sparse_initializers: number;
  node_count: number;
  ops: Record<string, Record<string, number>>;
  param_count: number;
  functions: [string, string, number][];
}

export interface TensorTruth {
  path: string;
  ok: boolean;
  error?: string;
  data_type: number;
  dims: number[];
  count: number;
  nan_count?: number;
  first?: (number | string)[];
  min?: number;
  max?: number;
  mean?: number;
}

function cacheKey(kind: string, models: string[]): string {
  const hash = createHash('sha256');
  hashPythonSources(hash, TRUTH_SCRIPT);
  hash.update(kind);
  hash.update(CORPUS_DIR);
  for (const path of models) {
    const s = statSync(path);
    hash.update(`${path}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 24);
}

function loadTruth<T>(kind: 'models' | 'tensors'): T[] {
  const models = listCorpusModels();
  const cache = join(tmpdir(), `mlw-onnx-truth-${kind}-${cacheKey(kind, models)}.jsonl`);
  let text: string;
  if (existsSync(cache)) {
    text = readFileSync(cache, 'utf8');
  } else {
    const args = kind === 'models' ? [TRUTH_SCRIPT, CORPUS_DIR] : [TRUTH_SCRIPT, '--tensors', CORPUS_DIR];
    text = execFileSync(SYSTEM_PYTHON, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 600_000 });
    const temp = `${cache}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, cache);
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export const loadModelTruth = (): ModelTruth[] => loadTruth<ModelTruth>('models');
export const loadTensorTruth = (): TensorTruth[] => loadTruth<TensorTruth>('tensors');

export const corpusRelative = (path: string): string => relative(CORPUS_DIR, path);
