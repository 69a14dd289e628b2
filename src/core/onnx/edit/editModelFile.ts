/**
 * Edits an ONNX model file into a new file: reads the model's structure (never its weights), checks and plans
 * the edits, then writes the result by splicing the source bytes (see spliceModel) to a temporary file beside
 * OUT, renamed into place only once complete. External data stays external: when OUT is in the model's folder
 * it points at the same files; in another folder, the data files it needs are copied beside it.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileSource } from '../byteSource';
import { checkLocation, externalDataInfo, resolveExternalLocation } from '../externalData';
import type { OnnxGraph, OnnxModel } from '../onnxModel';
import { readModelFromSource } from '../readModel';
import { inferModelShapes } from '../shapes/inferModelShapes';
import { tensorByteSize, type TensorRef } from '../tensorRef';
import { subgraphsOf } from './graphNames';
import { ModelEditError, type ModelEdits } from './modelEdits';
import { planModelEdit, type EditPlan } from './planModelEdit';
import { FieldScanner } from './scanFields';
import { ModelSplicer, type ExternalPlace } from './spliceModel';
import { writePieces } from './writePieces';

export interface ExternalDataAction {
  location: string;
  /** `referenced`: OUT is beside the same file; `copied`: copied beside OUT; `present`: an identical copy was already there. */
  action: 'referenced' | 'copied' | 'present';
  bytes: number;
}

export interface EditResult {
  model: string;
  output: string;
  bytesWritten: number;
  changes: string[];
  droppedInitializers: EditPlan['droppedInitializers'];
  externalData: ExternalDataAction[];
}

export interface EditModelOptions {
  signal?: AbortSignal;
  /** Read the model's structure with blocking reads (the CLI): see WalkOptions.syncReads. */
  syncReads?: boolean;
  /**
   * Give OUT a data file of its own, `<OUT's file name>.data`, holding the external data it keeps (streamed from
   * the source's data files), instead of pointing at or copying the source's: what an optimised variant needs,
   * so that it travels as OUT plus files named after it.
   */
  ownExternalData?: boolean;
}

function keptExternalTensors(model: OnnxModel, plan: EditPlan): TensorRef[] {
  const found: TensorRef[] = [];
  const add = (t: TensorRef | undefined): void => {
    if (t !== undefined && t.dataLocation === 'external') found.push(t);
  };
  const visitGraph = (graph: OnnxGraph, keepNode: (i: number) => boolean, keepInit: (i: number) => boolean): void => {
    graph.initializers.forEach((t, i) => keepInit(i) && add(t));
    graph.sparseInitializers.forEach((s) => {
      add(s.values);
      add(s.indices);
    });
    graph.nodes.forEach((n, i) => {
      if (!keepNode(i)) return;
      for (const a of n.attributes) {
        add(a.t);
        a.tensors?.forEach(add);
        add(a.sparseTensor?.values);
        add(a.sparseTensor?.indices);
      }
      for (const g of subgraphsOf(n))
        visitGraph(
          g,
          () => true,
          () => true,
        );
    });
  };
  visitGraph(
    model.graph,
    (i) => plan.keepNodes[i],
    (i) => plan.keepInitializers[i],
  );
  return found;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

async function sameBytes(a: string, b: string, signal?: AbortSignal): Promise<boolean> {
  const [x, y] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    if ((await x.stat()).size !== (await y.stat()).size) return false;
    const bufA = new Uint8Array(4 * 1024 * 1024);
    const bufB = new Uint8Array(bufA.length);
    for (let pos = 0; ; pos += bufA.length) {
      signal?.throwIfAborted();
      const [ra, rb] = await Promise.all([x.read(bufA, 0, bufA.length, pos), y.read(bufB, 0, bufB.length, pos)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (Buffer.compare(bufA.subarray(0, ra.bytesRead), bufB.subarray(0, rb.bytesRead)) !== 0) return false;
    }
  } finally {
    await Promise.all([x.close(), y.close()]);
  }
}

export async function editModelFile(
  modelPath: string,
  outPath: string,
  edits: ModelEdits,
  options: EditModelOptions = {},
): Promise<EditResult> {
  return writePlannedModel(
    modelPath,
    outPath,
    (onnx) =>
      planModelEdit(onnx, edits, async () => {
        const result = await inferModelShapes(onnx, options.signal);
        return new Map(result.tensors.map((t) => [t.name, { elemType: t.elemType, shape: t.shape }]));
      }),
    options,
  );
}

/**
 * Writes the model `plan` makes of the source (an edit's, or a rewrite's: see rewriteModelFile) to OUT, by way of
 * a temporary file beside it; external data the result keeps is referenced or copied as described above.
 */
export async function writePlannedModel(
  modelPath: string,
  outPath: string,
  planOf: (model: OnnxModel) => Promise<EditPlan>,
  options: EditModelOptions = {},
): Promise<EditResult> {
  const model = resolve(modelPath);
  const output = resolve(outPath);
  if (model === output || (await sameFile(model, output))) {
    throw new ModelEditError('-o must name a new file, not the model itself: edits never overwrite their source');
  }
  const source = await open(model, 'r');
  let temp: string | undefined;
  let dataTemp: string | undefined;
  const created: string[] = [];
  try {
    const size = (await source.stat()).size;
    const bytes = fileSource(source, size);
    const { model: onnx } = await readModelFromSource(bytes, model, { signal: options.signal, syncReads: options.syncReads });
    const plan = await planOf(onnx);

    // External data: where it is, and whether OUT can point at it or needs its own copy.
    const locations = new Map<string, string>();
    for (const t of keptExternalTensors(onnx, plan)) {
      const { location } = externalDataInfo(t);
      if (!locations.has(location)) locations.set(location, await resolveExternalLocation(model, location, t.offset));
    }
    const sameFolder = (await realpath(dirname(model))) === (await realpath(dirname(output)).catch(() => dirname(output)));
    const externalData: ExternalDataAction[] = [];
    const toCopy: { from: string; to: string }[] = [];
    const own = options.ownExternalData === true ? await ownDataPlan(model, output, keptExternalTensors(onnx, plan), locations) : undefined;
    for (const [location, real] of own === undefined ? locations : []) {
      const bytesOf = (await stat(real)).size;
      if (await sameFile(real, output)) throw new ModelEditError(`-o ${outPath} is the model's external data file ${location}`);
      if (sameFolder) {
        externalData.push({ location, action: 'referenced', bytes: bytesOf });
        continue;
      }
      checkLocation(location, 0);
      const target = join(dirname(output), location);
      let exists = true;
      await stat(target).catch(() => (exists = false));
      if (!exists) {
        toCopy.push({ from: real, to: target });
        externalData.push({ location, action: 'copied', bytes: bytesOf });
      } else if ((await sameFile(real, target)) || (await sameBytes(real, target, options.signal))) {
        externalData.push({ location, action: 'present', bytes: bytesOf });
      } else {
        throw new ModelEditError(
          `${target} already exists and differs from the model's external data ${location}: write OUT beside the model, or remove that file`,
        );
      }
    }

    const scanner = new FieldScanner(bytes);
    const pieces = await new ModelSplicer(scanner, onnx, plan, own?.places).modelPieces();
    await mkdir(dirname(output), { recursive: true });
    temp = join(dirname(output), `.${process.pid}-${Date.now()}.mlw-edit.tmp`);
    let out: FileHandle | undefined = await open(temp, 'wx');
    let bytesWritten: number;
    try {
      bytesWritten = await writePieces(pieces, source, out, { signal: options.signal });
    } finally {
      await out.close();
      out = undefined;
    }
    if (own !== undefined && own.places.size > 0) {
      await mkdir(dirname(output), { recursive: true });
      dataTemp = join(dirname(output), `.${process.pid}-${Date.now()}.mlw-data.tmp`);
      await writeOwnData(own, dataTemp, options.signal);
      externalData.push({ location: own.location, action: 'copied', bytes: own.bytes });
    }
    for (const { from, to } of toCopy) {
      options.signal?.throwIfAborted();
      await mkdir(dirname(to), { recursive: true });
      await copyFile(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      created.push(to);
    }
    if (own !== undefined && dataTemp !== undefined) {
      await rename(dataTemp, join(dirname(output), own.location));
      created.push(join(dirname(output), own.location));
      dataTemp = undefined;
    }
    await rename(temp, output);
    temp = undefined;
    return {
      model,
      output,
      bytesWritten,
      changes: plan.changes,
      droppedInitializers: plan.droppedInitializers,
      externalData,
    };
  } catch (error) {
    for (const file of created) await unlink(file).catch(() => undefined);
    throw error;
  } finally {
    if (temp !== undefined) await unlink(temp).catch(() => undefined);
    if (dataTemp !== undefined) await unlink(dataTemp).catch(() => undefined);
    await source.close();
  }
}

interface OwnData {
  location: string;
  places: Map<TensorRef, ExternalPlace>;
  /** Source file and range of each place, in the order they are written. */
  copies: { from: string; offset: number; length: number }[];
  bytes: number;
}

/** Where each kept external tensor goes in OUT's own data file. */
async function ownDataPlan(
  model: string,
  output: string,
  tensors: readonly TensorRef[],
  locations: ReadonlyMap<string, string>,
): Promise<OwnData> {
  const location = `${basename(output)}.data`;
  const places = new Map<TensorRef, ExternalPlace>();
  const copies: OwnData['copies'] = [];
  let at = 0;
  for (const t of tensors) {
    const info = externalDataInfo(t);
    const length = info.length ?? tensorByteSize(t);
    if (!Number.isSafeInteger(length)) throw new ModelEditError(`tensor ${t.name}: its external data has no length`);
    const from = locations.get(info.location) ?? (await resolveExternalLocation(model, info.location, t.offset));
    places.set(t, { location, offset: at, length });
    copies.push({ from, offset: info.offset, length });
    at += length;
  }
  return { location, places, copies, bytes: at };
}

/** Streams the ranges of `own.copies` into `path`, 4 MiB at a time. */
async function writeOwnData(own: OwnData, path: string, signal?: AbortSignal): Promise<void> {
  const out = await open(path, 'wx');
  const buf = new Uint8Array(4 * 1024 * 1024);
  let written = 0;
  try {
    for (const c of own.copies) {
      const src = await open(c.from, 'r');
      try {
        for (let done = 0; done < c.length;) {
          signal?.throwIfAborted();
          const n = Math.min(buf.length, c.length - done);
          const { bytesRead } = await src.read(buf, 0, n, c.offset + done);
          if (bytesRead <= 0) throw new ModelEditError(`external data file ${c.from} ends before offset ${c.offset + c.length}`);
          await out.write(buf, 0, bytesRead, written);
          written += bytesRead;
          done += bytesRead;
        }
      } finally {
        await src.close();
      }
    }
  } finally {
    await out.close();
  }
}
