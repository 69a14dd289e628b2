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
import { hashPythonSources } from '../../support/pythonFixtureDir';
import type { InferredTensor } from '../../../src/core/onnx/shapes/shapeTypes';
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
  const hash = hashPythonSources(createHash('sha256'), SHAPE_TRUTH_SCRIPT).update(CORPUS_DIR);
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

/** What python onnx infers for the given .onnx files under `root` (small sets such as torch exports; not cached). */
export function shapeTruthOf(root: string, files: string[]): ShapeTruth[] {
  const text = execFileSync(SYSTEM_PYTHON, [SHAPE_TRUTH_SCRIPT, root, ...files], { encoding: 'utf8', timeout: 120_000 });
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ShapeTruth);
}

export type Verdict = 'agree' | 'less' | 'conflict';

/** onnx names the dims it cannot tell `unk__0`, `unk__1`, ...: those are unknown dims, not symbols of the model. */
const generated = (d: TruthDim): TruthDim => (typeof d === 'string' && /^unk__\d+$/.test(d) ? null : d);

/**
 * One tensor, ours against onnx's: agree when the elem type, the rank and every dim onnx knows are equal (a dim onnx
 * leaves unknown may be known here, which counts as `refined`); less when we know less; conflict otherwise.
 */
export function judge(
  mine: InferredTensor | undefined,
  elem: number | null,
  shape: TruthDim[] | null,
): { verdict: Verdict; refined: boolean } {
  if (mine === undefined) return { verdict: 'less', refined: false };
  if (elem !== null && mine.elemType !== elem) return { verdict: mine.elemType === null ? 'less' : 'conflict', refined: false };
  if (shape === null) return { verdict: 'agree', refined: mine.shape !== null };
  if (mine.shape === null) return { verdict: 'less', refined: false };
  if (mine.shape.length !== shape.length) return { verdict: 'conflict', refined: false };
  let refined = false;
  let less = false;
  for (let i = 0; i < shape.length; i++) {
    const want = generated(shape[i]);
    const got = mine.shape[i];
    if (want === null) refined ||= got !== null;
    else if (got === null) less = true;
    else if (got !== want) return { verdict: 'conflict', refined: false };
  }
  return { verdict: less ? 'less' : 'agree', refined };
}

export const showShape = (elem: number | null, shape: TruthDim[] | null): string =>
  `${elem ?? '?'}${shape === null ? '[?]' : `[${shape.map((d) => (d === null ? '?' : d)).join(',')}]`}`;
