/**
 * Reads only a model's metadata props (ModelProto field 14): every other top-level field, the graph and its weights
 * included, is skipped by its length without being read, so this costs a few small reads however large the file.
 */
import { open } from 'node:fs/promises';
import { fileSource, readExactly } from './byteSource';
import { walkMessage, type FieldSpec, type MessageSchema } from './messageWalker';
import type { StringEntry } from './onnxModel';
import { OnnxFormatError } from './onnxFormatError';
import { text } from './onnxSchemas';
import { SNIFF_BYTES, sniffModelFormat } from './sniffModelFormat';

const str = (set: (t: StringEntry, v: string) => void): FieldSpec<StringEntry> => ({
  kind: 'string',
  name: 'string',
  set: (t, v) => set(t, text(v)),
});

const ENTRY: MessageSchema<StringEntry> = {
  name: 'StringStringEntryProto',
  create: () => ({ key: '', value: '' }),
  fields: { 1: str((t, v) => (t.key = v)), 2: str((t, v) => (t.value = v)) },
};

const PROPS_ONLY: MessageSchema<{ props: StringEntry[] }> = {
  name: 'ModelProto',
  create: () => ({ props: [] }),
  fields: {
    14: {
      kind: 'message',
      name: 'metadata_props',
      schema: () => ENTRY as unknown as MessageSchema<unknown, unknown>,
      set: (t, v) => t.props.push(v as StringEntry),
    },
  },
};

/** The metadata props of the ONNX file at `path`, in file order; throws OnnxFormatError on a file that is not ONNX. */
export async function readMetadataProps(path: string, signal?: AbortSignal): Promise<StringEntry[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const source = fileSource(handle, size);
    const head = new Uint8Array(Math.min(size, SNIFF_BYTES));
    await readExactly(source, head, 0, head.length, 0);
    const sniff = sniffModelFormat(head, size);
    if (sniff.format !== 'onnx') throw new OnnxFormatError(`not an ONNX model: ${sniff.reason}`, 0);
    return (await walkMessage(source, PROPS_ONLY, 0, size, { signal })).value.props;
  } finally {
    await handle.close();
  }
}
