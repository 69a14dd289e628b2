/**
 * Summarises a `torch.save` file (a zip holding `<name>/data.pkl` and the storages `<name>/data/<key>`) by
 * reading its pickle without executing it (pickle.ts): `torch._utils._rebuild_tensor_v2` (and v3, `_rebuild_parameter`,
 * `_rebuild_from_type_v2`) over persistent-load storages (`torch.FloatStorage` ..., or `torch.storage.UntypedStorage`
 * with a dtype) become tensors; OrderedDict / dict / defaultdict become containers whose keys name the tensors;
 * any other callable is recorded by name. Storage bytes are never read. Legacy (non-zip) checkpoints and
 * TorchScript archives are refused with one line.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { loadPickle, PyBytes, PyCall, PyDict, PyGlobal, PyOpaque, PyTuple, type PyValue } from './pickle';
import { elementBytes, shapeElements, totals, type WeightTensor, type WeightsFileSummary } from './weightsSummary';
import { WeightsFormatError } from './weightsFormatError';
import { looksLikeZip, readStoredEntry, readZipDirectory, type ZipEntry } from './zipArchive';

const MAX_PICKLE_BYTES = 512 * 1024 * 1024;
const MAX_METADATA = 200;
const MAX_DEPTH = 200;

const STORAGE_DTYPES: Record<string, string> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexDoubleStorage: 'complex128',
  ComplexFloatStorage: 'complex64',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
  UntypedStorage: 'uint8',
};

/** torch.<name> dtype globals (as `_rebuild_tensor_v3` and UntypedStorage checkpoints name them) to torch's names. */
const DTYPE_ALIASES: Record<string, string> = {
  float: 'float32',
  double: 'float64',
  half: 'float16',
  long: 'int64',
  int: 'int32',
  short: 'int16',
  cfloat: 'complex64',
  cdouble: 'complex128',
};

/** Plain builtins that only build data. */
const DATA_BUILTINS = new Set(['builtins.set', '__builtin__.set', 'builtins.frozenset', '__builtin__.frozenset']);
const CONTAINERS = new Set(['collections.OrderedDict', 'builtins.dict', '__builtin__.dict', 'collections.defaultdict']);
const TENSOR_REBUILDS = new Set(['torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3']);
const PASS_THROUGH = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);
/** Globals that are data, not code to worry about: storage types, dtypes, the containers. */
const isKnownGlobal = (g: PyGlobal): boolean =>
  CONTAINERS.has(g.qualified) ||
  DATA_BUILTINS.has(g.qualified) ||
  TENSOR_REBUILDS.has(g.qualified) ||
  PASS_THROUGH.has(g.qualified) ||
  g.qualified === 'torch._tensor._rebuild_from_type_v2' ||
  g.qualified === 'torch._utils._rebuild_from_type_v2' ||
  (g.module === 'torch' && (g.name in STORAGE_DTYPES || dtypeOfGlobal(g) !== undefined)) ||
  g.qualified === 'torch.storage.UntypedStorage' ||
  g.qualified === 'torch.nn.parameter.Parameter';

function dtypeOfGlobal(g: PyGlobal): string | undefined {
  if (g.module !== 'torch') return undefined;
  const name = DTYPE_ALIASES[g.name] ?? g.name;
  return elementBytes(name) !== undefined ? name : undefined;
}

interface TorchStorage {
  key: string;
  dtype: string;
  location: string;
  /** Bytes of the storage's entry in the archive; undefined when the entry is missing. */
  bytes?: number;
}

class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly dtype: string,
  ) {}
}

const isInt = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const ints = (v: PyValue): number[] | undefined =>
  v instanceof PyTuple && v.items.every(isInt) ? (v.items as number[]) : Array.isArray(v) && v.every(isInt) ? (v as number[]) : undefined;

/** Why a non-zip file is not summarised, in one line. */
export function legacyReason(head: Uint8Array): string {
  // Legacy torch.save: a pickled magic number 0x1950a86a20f9469cfc6c (PROTO 2, LONG1 of 10 bytes) then more pickles.
  const magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  if (magic.every((b, i) => head[i] === b)) {
    return 'a legacy PyTorch checkpoint (saved with _use_new_zipfile_serialization=False), which is not summarised: re-save it with torch.save(obj, path) from torch 1.6 or later';
  }
  if (head[0] === 0x80) return 'a plain pickle, not a torch.save zip archive: it is not read, as unpickling it could run code';
  return 'not a PyTorch checkpoint (torch.save writes a zip archive)';
}

export async function readTorchCheckpoint(path: string): Promise<WeightsFileSummary> {
  const handle = await open(path, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const head = new Uint8Array(16);
    await handle.read(head, 0, head.length, 0);
    if (!looksLikeZip(head)) throw new WeightsFormatError(`${path} is ${legacyReason(head)}`);
    return await readArchive(handle, path, fileSize);
  } finally {
    await handle.close();
  }
}

async function readArchive(handle: FileHandle, path: string, fileSize: number): Promise<WeightsFileSummary> {
  const entries = await readZipDirectory(handle, fileSize);
  const pkl = entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name)) ?? entries.find((e) => e.name === 'data.pkl');
  const prefix = pkl === undefined ? '' : pkl.name.slice(0, -'data.pkl'.length);
  if (entries.some((e) => e.name === `${prefix}constants.pkl` || e.name.startsWith(`${prefix}code/`))) {
    throw new WeightsFormatError(
      `${path} is a TorchScript archive (torch.jit.save): only torch.save checkpoints are summarised; load it with torch.jit.load and save its state_dict()`,
    );
  }
  if (pkl === undefined) throw new WeightsFormatError(`${path} is a zip archive without data.pkl: not a torch.save checkpoint`);
  const storages = new Map<string, ZipEntry>();
  for (const e of entries) if (e.name.startsWith(`${prefix}data/`)) storages.set(e.name.slice(prefix.length + 5), e);

  const globals = new Set<string>();
  const warnings: string[] = [];
  const pickled = await readStoredEntry(handle, pkl, fileSize, MAX_PICKLE_BYTES);
  const root = loadPickle(pickled, {
    persistentLoad: (pid) => storageOf(pid, storages),
    onCall: (func, args) => interpret(func, args, globals),
  });
  const tensors: WeightTensor[] = [];
  const metadata: { key: string; value: string }[] = [];
  walk(root, '', 0, new Set(), { tensors, metadata, warnings });
  return {
    format: 'pytorch',
    path,
    fileSize,
    tensors,
    ...totals(tensors),
    metadata,
    globals: [...globals].sort(),
    warnings,
  };
}

function storageOf(pid: PyValue, storages: Map<string, ZipEntry>): TorchStorage {
  const items = pid instanceof PyTuple ? pid.items : [];
  const [tag, type, key, location] = items;
  if (tag !== 'storage' || !(type instanceof PyGlobal) || (typeof key !== 'string' && !isInt(key))) {
    throw new WeightsFormatError('unrecognised persistent id in data.pkl (not a torch storage)');
  }
  const dtype = STORAGE_DTYPES[type.name] ?? dtypeOfGlobal(type) ?? `unknown(${type.qualified})`;
  const entry = storages.get(String(key));
  return { key: String(key), dtype, location: typeof location === 'string' ? location : '', bytes: entry?.size };
}

function interpret(func: PyValue, args: PyValue[], globals: Set<string>): PyValue | undefined {
  if (!(func instanceof PyGlobal)) return undefined;
  const name = func.qualified;
  if (CONTAINERS.has(name)) {
    const dict = new PyDict(name);
    // OrderedDict([(k, v), ...]): fill from the pairs.
    const pairs = name === 'collections.defaultdict' ? undefined : args[0];
    if (Array.isArray(pairs))
      for (const p of pairs) if (p instanceof PyTuple && p.items.length === 2) dict.items.push([p.items[0], p.items[1]]);
    return dict;
  }
  if (TENSOR_REBUILDS.has(name)) {
    const [storage, offset, size, stride] = args;
    const s = storage instanceof PyOpaque ? storage.value : undefined;
    const shape = ints(size);
    if (!(s !== null && typeof s === 'object' && 'key' in s) || !isInt(offset) || shape === undefined) return undefined;
    const torchStorage = s as TorchStorage;
    // v3 (storages untyped): the dtype is argument 6.
    const dtypeArg = name.endsWith('_v3') ? args[6] : undefined;
    const dtype = dtypeArg instanceof PyGlobal ? (dtypeOfGlobal(dtypeArg) ?? torchStorage.dtype) : torchStorage.dtype;
    return new PyOpaque(new TorchTensor(torchStorage, offset, shape, ints(stride) ?? [], dtype));
  }
  if (PASS_THROUGH.has(name)) return args[0] ?? null;
  if (name === 'torch._tensor._rebuild_from_type_v2' || name === 'torch._utils._rebuild_from_type_v2') {
    const inner = args[2];
    return interpret(args[0], inner instanceof PyTuple ? inner.items : [], globals);
  }
  if (!isKnownGlobal(func)) globals.add(name);
  return undefined;
}

interface Sink {
  tensors: WeightTensor[];
  metadata: { key: string; value: string }[];
  warnings: string[];
}

/** Module internals that only add noise to a whole pickled nn.Module's tensor names. */
const SKIPPED_SEGMENTS = new Set(['_parameters', '_buffers', '_modules']);

const keyText = (k: PyValue): string =>
  typeof k === 'string'
    ? k
    : typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean'
      ? String(k)
      : k === null
        ? 'None'
        : '?';
const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function scalarText(v: PyValue): string | undefined {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 200)}…` : v;
  return undefined;
}

function walk(v: PyValue, path: string, depth: number, seen: Set<object>, sink: Sink): void {
  if (depth > MAX_DEPTH) {
    sink.warnings.push(`containers nested deeper than ${MAX_DEPTH} levels at '${path}': not listed`);
    return;
  }
  if (v instanceof PyOpaque && v.value instanceof TorchTensor) {
    sink.tensors.push(tensorOf(v.value, path || '(root)', sink.warnings));
    return;
  }
  const scalar = scalarText(v);
  if (scalar !== undefined) {
    if (path !== '' && sink.metadata.length < MAX_METADATA) sink.metadata.push({ key: path, value: scalar });
    return;
  }
  if (v === null || typeof v !== 'object' || v instanceof PyGlobal || v instanceof PyBytes || v instanceof PyOpaque) return;
  if (seen.has(v)) return;
  seen.add(v);
  const list = Array.isArray(v) ? v : v instanceof PyTuple ? v.items : undefined;
  if (list !== undefined) {
    const scalars = list.map(scalarText);
    if (list.length > 0 && scalars.every((s) => s !== undefined)) {
      if (sink.metadata.length < MAX_METADATA) {
        const text = `[${scalars.slice(0, 32).join(', ')}${list.length > 32 ? `, … ${list.length} items` : ''}]`;
        sink.metadata.push({ key: path, value: text });
      }
      return;
    }
    list.forEach((item, i) => walk(item, join(path, String(i)), depth + 1, seen, sink));
    return;
  }
  if (v instanceof PyDict) {
    for (const [k, item] of v.items) walk(item, join(path, keyText(k)), depth + 1, seen, sink);
    return;
  }
  if (v instanceof PyCall) {
    // An object of another class (a pickled nn.Module, a numpy array, ...): its state and items may hold tensors.
    if (v.state instanceof PyDict) {
      for (const [k, item] of v.state.items) {
        const key = keyText(k);
        walk(item, SKIPPED_SEGMENTS.has(key) ? path : join(path, key), depth + 1, seen, sink);
      }
    } else if (v.state !== null) walk(v.state, path, depth + 1, seen, sink);
    for (const [k, item] of v.dictItems) walk(item, join(path, keyText(k)), depth + 1, seen, sink);
    v.listItems.forEach((item, i) => walk(item, join(path, String(i)), depth + 1, seen, sink));
  }
}

function tensorOf(t: TorchTensor, name: string, warnings: string[]): WeightTensor {
  const elements = shapeElements(t.shape);
  const size = elementBytes(t.dtype);
  const bytes = size === undefined ? Number.NaN : elements * size;
  if (t.storage.bytes === undefined) warnings.push(`tensor '${name}': its storage data/${t.storage.key} is missing from the archive`);
  else if (size !== undefined && elements > 0 && t.stride.length === t.shape.length) {
    // The last element the tensor reaches must lie inside its storage.
    let last = t.offset;
    t.shape.forEach((d, i) => (last += (d - 1) * t.stride[i]));
    if ((last + 1) * size > t.storage.bytes) {
      warnings.push(`tensor '${name}' reaches byte ${(last + 1) * size} of its storage data/${t.storage.key} of ${t.storage.bytes} bytes`);
    }
  }
  return { name, dtype: t.dtype, shape: t.shape, elements, bytes };
}
