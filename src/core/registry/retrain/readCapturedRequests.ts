/**
 * The captured requests of one model (see serve/capture/modelCapture.ts): every index line of its chunks, in chunk
 * order, with each input's rows read from the chunk's .npy file by the line's row range.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readNpy, type NpyArray, type NpyType } from '../../ort/parseNpy';

export interface CapturedInput {
  name: string;
  type: NpyType;
  /** The shape of one row (dims after axis 0). */
  inner: number[];
  /** The request's rows, C order, as typed values of `type`. */
  values: ArrayBufferView & ArrayLike<number | bigint>;
}

export interface CapturedRequest {
  id: string | null;
  chunk: string;
  rows: number;
  inputs: CapturedInput[];
}

export interface CapturedRequests {
  requests: CapturedRequest[];
  /** Chunk names (`chunk-000001`) that held at least one index line. */
  chunks: string[];
  /** Index lines that could not be used (unreadable, a BYTES input, rows out of range), with why. */
  skipped: Array<{ chunk: string; line: number; why: string }>;
}

interface IndexTensor {
  name: string;
  file?: string;
  rows?: [number, number];
  skipped?: string;
}

/** Reads `<dir>/chunk-*.jsonl` and the input .npy files they point at; an absent folder has no requests. */
export async function readCapturedRequests(dir: string): Promise<CapturedRequests> {
  const names = (await fsp.readdir(dir).catch(() => [] as string[])).filter((f) => /^chunk-\d+\.jsonl$/.test(f)).sort();
  const out: CapturedRequests = { requests: [], chunks: [], skipped: [] };
  for (const index of names) {
    const chunk = index.slice(0, -'.jsonl'.length);
    const lines = (await fsp.readFile(path.join(dir, index), 'utf8')).split('\n');
    const files = new Map<string, NpyArray>();
    const npy = async (file: string): Promise<NpyArray> => {
      let a = files.get(file);
      if (!a) {
        a = await readNpy(path.join(dir, file));
        files.set(file, a);
      }
      return a;
    };
    let used = false;
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].trim()) continue;
      const skip = (why: string) => out.skipped.push({ chunk, line: i + 1, why });
      let entry: { id?: unknown; inputs?: IndexTensor[] };
      try {
        entry = JSON.parse(lines[i]);
      } catch {
        // The last line of a chunk being written may be cut short.
        skip('not JSON');
        continue;
      }
      const inputs: CapturedInput[] = [];
      let rows = -1;
      let why: string | undefined;
      for (const t of entry.inputs ?? []) {
        if (t.skipped || !t.file || !t.rows) {
          why = `input ${t.name}: ${t.skipped ?? 'no file'}`;
          break;
        }
        const a = await npy(t.file).catch((e: Error) => e);
        if (a instanceof Error) {
          why = a.message;
          break;
        }
        const [start, end] = t.rows;
        if (!(start >= 0 && end >= start && end <= (a.shape[0] ?? 0))) {
          why = `input ${t.name}: rows [${start}, ${end}) out of ${t.file}'s ${a.shape[0]}`;
          break;
        }
        const inner = a.shape.slice(1);
        const width = inner.reduce((x, y) => x * y, 1);
        if (rows >= 0 && rows !== end - start) {
          why = `inputs with different row counts (${rows}, ${end - start})`;
          break;
        }
        rows = end - start;
        const values = (a.values as unknown as { subarray(a: number, b: number): CapturedInput['values'] }).subarray(
          start * width,
          end * width,
        );
        inputs.push({ name: t.name, type: a.type, inner, values });
      }
      if (why || !inputs.length) {
        skip(why ?? 'no inputs');
        continue;
      }
      used = true;
      out.requests.push({ id: typeof entry.id === 'string' && entry.id ? entry.id : null, chunk, rows, inputs });
    }
    if (used) out.chunks.push(chunk);
  }
  return out;
}
