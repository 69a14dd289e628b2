/**
 * Reads reference samples for a drift profile from .npy, .csv or .json files.
 * - .npy: one input; dim 0 is the sample axis.
 * - .csv: one input; rows are samples, numeric columns are features (named by the header).
 * - .json: an array of rows (one input), or an object {inputName: rows} (several inputs). Rows are numbers or nested
 *   arrays of equal shape.
 * Single-input files are keyed by `inputName` (default "*": the model's first input).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { readCsv } from './csvReader';
import { npyToFloat64, parseNpy } from '../ort/parseNpy';
import type { SampleSet } from './driftProfile';

/** Shape and row-major values of a rectangular nested array of numbers (null stands for a missing value). */
export function nestedToSamples(rows: unknown, what: string): SampleSet {
  if (!Array.isArray(rows) || rows.length === 0) throw new Error(`${what}: expected a non-empty array of rows`);
  const shape: number[] = [];
  for (let v: unknown = rows; Array.isArray(v); v = v[0]) shape.push(v.length);
  const data: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v === 'number') data.push(v);
      else if (v === null || v === 'NaN') data.push(NaN);
      else throw new Error(`${what}: ${JSON.stringify(v)} is not a number`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth])
      throw new Error(`${what}: rows are not rectangular (expected shape [${shape.join(',')}])`);
    for (const x of v) walk(x, depth + 1);
  };
  walk(rows, 0);
  return { shape, data };
}

export async function readSamplesFile(file: string, inputName = '*'): Promise<Record<string, SampleSet>> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') {
    const a = parseNpy(await readFile(file), file);
    if (a.shape.length === 0) throw new Error(`${file}: a 0-d array has no sample axis`);
    return { [inputName]: { shape: a.shape, data: npyToFloat64(a) } };
  }
  if (ext === '.csv' || ext === '.tsv') {
    const t = readCsv(await readFile(file, 'utf8'), ext === '.tsv' ? '\t' : ',');
    if (t.columns.length === 0) throw new Error(`${file}: no numeric columns`);
    return { [inputName]: { shape: [t.rows, t.columns.length], data: t.data, featureNames: t.columns } };
  }
  if (ext === '.json') {
    const json = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (Array.isArray(json)) return { [inputName]: nestedToSamples(json, file) };
    if (typeof json === 'object' && json !== null) {
      const out: Record<string, SampleSet> = {};
      for (const [k, v] of Object.entries(json)) out[k] = nestedToSamples(v, `${file}: input '${k}'`);
      return out;
    }
    throw new Error(`${file}: expected an array of rows or an object of {inputName: rows}`);
  }
  throw new Error(`${file}: unsupported sample file (use .npy, .csv or .json)`);
}
