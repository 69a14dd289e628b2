/**
 * Ground truth for captured requests: the labels that arrive after serving, keyed by the request's id (as SageMaker
 * Model Monitor merges ground truth by inference id). `<captures>/<model>/ground-truth.jsonl`, one JSON object a line:
 *   {"id": "<request id>", "label": 1}            a 1-row request
 *   {"id": "<request id>", "label": [0, 1, 1]}    a batched request: a label per row
 * A later line for the same id replaces an earlier one.
 */
import { promises as fsp } from 'node:fs';
import { RegistryError } from '../RegistryStore';

export const GROUND_TRUTH_FILE = 'ground-truth.jsonl';
export const GROUND_TRUTH_LINE = '{"id": "<request id>", "label": <number> | [<number per row>]}';

/** The labels of each request id; undefined when the file does not exist. A malformed line is a RegistryError naming it. */
export async function readGroundTruth(file: string, shown = file): Promise<Map<string, number[]> | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const out = new Map<string, number[]>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const bad = (why: string): never => {
      throw new RegistryError(`${shown}:${i + 1}: ${why}; each line is ${GROUND_TRUTH_LINE}`);
    };
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      bad('not JSON');
    }
    const { id, label } = (raw ?? {}) as { id?: unknown; label?: unknown };
    if (typeof id !== 'string' || !id) bad('"id" must be the request id (a string)');
    const labels = Array.isArray(label) ? label : [label];
    if (!labels.length || labels.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
      bad('"label" must be a number, or an array of numbers for a batched request');
    out.set(id as string, labels as number[]);
  }
  return out;
}
