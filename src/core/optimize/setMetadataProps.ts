/**
 * Sets metadata props of an ONNX file without re-encoding it. ModelProto.metadata_props is the top-level repeated
 * field 14 (StringStringEntryProto { key = 1, value = 2 }): new entries are appended to the end of the file as
 * encoded field-14 records. When the file already holds entries with the same keys (a variant optimised again),
 * those are left out of a byte-range copy of the rest (editTopLevelFields), so each key stays unique, as
 * onnx.checker requires.
 */
import { editTopLevelFields, lengthDelimited, messageFields } from './editTopLevelFields';

const METADATA_PROPS = 14;
const utf8 = new TextEncoder();

/** One ModelProto field 14 record holding a StringStringEntryProto. */
export function encodeMetadataEntry(key: string, value: string): Uint8Array {
  const k = lengthDelimited(1, utf8.encode(key));
  const v = lengthDelimited(2, utf8.encode(value));
  const entry = new Uint8Array(k.length + v.length);
  entry.set(k);
  entry.set(v, k.length);
  return lengthDelimited(METADATA_PROPS, entry);
}

/** Sets `entries` in the metadata props of the ONNX file at `path`, in place; throws on a malformed (truncated) file. */
export async function setMetadataProps(path: string, entries: Readonly<Record<string, string>>): Promise<void> {
  const keys = new Set(Object.keys(entries));
  await editTopLevelFields(path, {
    drop: async (field, payload) => {
      if (field !== METADATA_PROPS || !payload) return false;
      const key = messageFields(await payload()).find((f) => f.field === 1)?.value;
      return key instanceof Uint8Array && keys.has(Buffer.from(key).toString('utf8'));
    },
    append: Buffer.concat(Object.entries(entries).map(([k, v]) => encodeMetadataEntry(k, v))),
  });
}
