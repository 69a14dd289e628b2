/**
 * What python onnx's shape inference says about every tensor of the corpus (test/fixtures/onnx_shape_truth.py),
 * computed in one Python process and cached in the temp folder keyed by the script and the corpus files.
 * Not a test file itself.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR, SYSTEM_PYTHON } from '../../support/requires';
import { listCorpusModels, REPO_ROOT } from './corpus';

export const SHAPE_TRUTH_SCRIPT = join(REPO_ROOT, 'test/fixtures/onnx_shape_truth.py');

export type TruthDim = number | string | null;

export interface ShapeTruth {
  path: string;
  ok: boolean;
  error?: string;
  /** [name, elem_type or null, shape or null] for the main graph's value_info and outputs after inference. */
  values?: [string, number | null, TruthDim[] | null][];
}

export function loadShapeTruth(): ShapeTruth[] {
  const models = listCorpusModels();
  const hash = createHash('sha256').update(readFileSync(SHAPE_TRUTH_SCRIPT)).update(CORPUS_DIR);
  for (const path of models) {
    const s = statSync(path);
    hash.update(`${path}\0${s.size}\0${s.mtimeMs}\n`);
  }
  const cache = join(tmpdir(), `mlw-onnx-shape-truth-${hash.digest('hex').slice(0, 24)}.jsonl`);
  let text: string;
  if (existsSync(cache)) text = readFileSync(cache, 'utf8');
  else {
    text = execFileSync(SYSTEM_PYTHON, [SHAPE_TRUTH_SCRIPT, CORPUS_DIR], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 300_000,
    });
    const temp = `${cache}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, cache);
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ShapeTruth);
}
