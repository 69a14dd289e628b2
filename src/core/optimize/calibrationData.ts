/**
 * The calibration inputs of static quantisation, read one file at a time as batches the model takes:
 *
 * - a folder holding NAME.npy for every input (samples along the first axis), as `--eval` takes;
 * - or a folder of sample files: each `.npz` holds one array per input name (np.savez(path, **{name: array}); for a
 *   single-input model any one array), and for a single-input model each `.npy` is a batch of it;
 * - or one such file (.npy for a single-input model, .npz).
 *
 * An array whose rank is one less than its input's is one sample (a batch axis of 1 is added). Arrays are cast to
 * the input's element type. A `.npz` is a zip archive: read with the weights inspector's zip reader, its entries
 * stored (np.savez) or deflated (np.savez_compressed, inflated with node:zlib).
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { ModelSummary, ValueSummary } from '../onnx/modelSummary';
import { castValues } from '../ort/makeInputs';
import { ortTypeOf, type TensorData } from '../ort/ortTypes';
import { parseNpy, readNpy, type NpyArray } from '../ort/parseNpy';
import { entryDataOffset, readStoredEntry, readZipDirectory } from '../weights/zipArchive';
import type { WireTensor } from './sessionWorkerProtocol';

/** Largest batch fed at once when the model's batch dim is free. */
const MAX_BATCH = 64;
/** Largest array read from an .npz entry. */
const MAX_ENTRY_BYTES = 1024 * 1024 * 1024;

export interface CalibrationData {
  /** One line: where the inputs come from. */
  description: string;
  /** The files, in the order they are read. */
  files: string[];
  /** The batches, reading one file (or one set of NAME.npy files) at a time. */
  batches(): AsyncGenerator<WireTensor[]>;
}

const safeName = (name: string): string => name.replace(/[^\w.-]/g, '_');

/** Every array of an .npz file, by name (the entry name less `.npy`). */
export async function readNpz(path: string): Promise<Map<string, NpyArray>> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const arrays = new Map<string, NpyArray>();
    let entries;
    try {
      entries = await readZipDirectory(handle, size);
    } catch (e) {
      throw new Error(`${path}: not an .npz file (${(e as Error).message})`);
    }
    for (const entry of entries) {
      if (!entry.name.endsWith('.npy')) continue;
      let bytes: Uint8Array;
      if (entry.method === 0) bytes = await readStoredEntry(handle, entry, size, MAX_ENTRY_BYTES);
      else if (entry.method === 8) {
        if (entry.size > MAX_ENTRY_BYTES) throw new Error(`${path}: array '${entry.name}' holds more than ${MAX_ENTRY_BYTES} bytes`);
        const start = await entryDataOffset(handle, entry, size);
        const compressed = Buffer.alloc(entry.compressedSize);
        await handle.read(compressed, 0, entry.compressedSize, start);
        bytes = inflateRawSync(compressed);
      } else throw new Error(`${path}: array '${entry.name}' is compressed with zip method ${entry.method}; save with np.savez`);
      arrays.set(entry.name.slice(0, -4), parseNpy(bytes, `${path}:${entry.name}`));
    }
    return arrays;
  } finally {
    await handle.close();
  }
}

type ArraySet = { from: string; arrays: Map<string, NpyArray> };

/** The arrays of one input set, keyed by input name. */
function byInput(summary: ModelSummary, from: string, arrays: Map<string, NpyArray>): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  if (summary.inputs.length === 1 && arrays.size === 1) {
    out.set(summary.inputs[0].name, [...arrays.values()][0]);
    return out;
  }
  for (const input of summary.inputs) {
    const a = arrays.get(input.name) ?? arrays.get(safeName(input.name));
    if (!a) throw new Error(`${from}: no array for input '${input.name}' (holds ${[...arrays.keys()].join(', ') || 'none'})`);
    out.set(input.name, a);
  }
  return out;
}

function batchesOf(summary: ModelSummary, set: ArraySet): WireTensor[][] {
  const shaped = new Map<string, { input: ValueSummary; array: NpyArray; shape: number[] }>();
  let samples: number | undefined;
  for (const input of summary.inputs) {
    const array = set.arrays.get(input.name)!;
    const rank = input.shape?.length;
    const shape = rank !== undefined && array.shape.length === rank - 1 ? [1, ...array.shape] : array.shape;
    if (shape.length === 0) throw new Error(`${set.from}: the array for '${input.name}' is a scalar; put the samples along the first axis`);
    if (rank !== undefined && shape.length !== rank)
      throw new Error(`${set.from}: the array for '${input.name}' has shape [${array.shape.join(',')}]; the input has rank ${rank}`);
    if (samples !== undefined && shape[0] !== samples)
      throw new Error(`${set.from}: the arrays hold different numbers of samples (${samples} and ${shape[0]} for '${input.name}')`);
    samples = shape[0];
    shaped.set(input.name, { input, array, shape });
  }
  const n = samples ?? 0;
  if (n === 0) return [];
  const fixed = summary.inputs.map((i) => i.shape?.[0]).find((d): d is number => typeof d === 'number' && d > 0);
  const batch = fixed ?? Math.min(n, MAX_BATCH);
  if (fixed !== undefined && n % batch !== 0)
    throw new Error(`${set.from}: ${n} samples do not split into the model's fixed batch of ${batch}`);
  const out: WireTensor[][] = [];
  for (let from = 0; from < n; from += batch) {
    const to = Math.min(n, from + batch);
    out.push(
      [...shaped.values()].map(({ input, array, shape }) => {
        const type = input.elemType === undefined ? undefined : ortTypeOf(input.elemType);
        if (type === undefined || type === 'string') throw new Error(`input '${input.name}' (${input.type}) cannot be fed from .npy`);
        const row = shape.slice(1).reduce((a, b) => a * b, 1);
        const values = array.values.slice(from * row, to * row) as TensorData;
        const data = array.type === type ? values : castValues(values as ArrayLike<unknown>, type);
        return { name: input.name, type, dims: [to - from, ...shape.slice(1)], data };
      }),
    );
  }
  return out;
}

/** Finds the calibration files at `path` (checking they exist and fit the model) without reading them yet. */
export async function calibrationData(summary: ModelSummary, path: string, what = '--calibrate'): Promise<CalibrationData> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`${what} ${path}: no such file or folder`);
  const single = summary.inputs.length === 1;
  let sets: (() => Promise<ArraySet>)[];
  let files: string[];
  let description: string;
  const npz = (file: string) => async (): Promise<ArraySet> => ({ from: file, arrays: byInput(summary, file, await readNpz(file)) });
  const npy = (file: string) => async (): Promise<ArraySet> => ({
    from: file,
    arrays: new Map([[summary.inputs[0].name, await readNpy(file)]]),
  });
  if (info.isFile()) {
    const ext = extname(path).toLowerCase();
    if (ext === '.npz') sets = [npz(path)];
    else if (ext === '.npy' && single) sets = [npy(path)];
    else if (ext === '.npy')
      throw new Error(
        `${what} ${path}: the model has ${summary.inputs.length} inputs (${summary.inputs.map((i) => i.name).join(', ')}); give an .npz or a folder holding NAME.npy for each`,
      );
    else throw new Error(`${what} ${path}: expected a folder of .npy/.npz files, an .npz or a .npy file`);
    files = [path];
    description = basename(path);
  } else {
    const names = (await readdir(path)).filter((f) => /\.np[yz]$/i.test(f)).sort();
    const perInput = summary.inputs.map((i) => [`${i.name}.npy`, `${safeName(i.name)}.npy`].find((f) => names.includes(f)));
    if (summary.inputs.length > 0 && perInput.every((f) => f !== undefined)) {
      files = perInput.map((f) => join(path, f!));
      sets = [
        async () => {
          const arrays = new Map<string, NpyArray>();
          for (const [k, input] of summary.inputs.entries()) arrays.set(input.name, await readNpy(files[k]));
          return { from: path, arrays };
        },
      ];
      description = `${basename(path)}: ${perInput.join(', ')}`;
    } else {
      const npzFiles = names.filter((f) => f.toLowerCase().endsWith('.npz'));
      const npyFiles = names.filter((f) => f.toLowerCase().endsWith('.npy'));
      if (npyFiles.length > 0 && !single && npzFiles.length === 0)
        throw new Error(
          `${what} ${path}: no ${summary.inputs.map((i) => `${safeName(i.name)}.npy`).join(', ')} for the model's inputs, and no .npz files`,
        );
      files = [...npzFiles, ...(single ? npyFiles : [])].map((f) => join(path, f));
      if (files.length === 0) throw new Error(`${what} ${path}: the folder holds no .npy or .npz files`);
      sets = files.map((f) => (f.toLowerCase().endsWith('.npz') ? npz(f) : npy(f)));
      description = `${basename(path)}: ${files.length} file${files.length === 1 ? '' : 's'}`;
    }
  }
  return {
    description,
    files,
    async *batches() {
      for (const read of sets) {
        for (const b of batchesOf(summary, await read())) yield b;
      }
    },
  };
}
