/**
 * Cheap format detection from the first bytes of a file: is this an ONNX protobuf, an ONNX Runtime (ORT)
 * flatbuffer, or something else (and then what, so the user is told why it cannot be opened)?
 * Reading 64 bytes is enough; more lets the ONNX probe check more fields.
 */
import { OnnxFormatError } from './onnxFormatError';
import { ProtobufReader } from './protobufReader';

export type ModelFormat = 'onnx' | 'ort' | 'not-onnx';

export interface SniffResult {
  format: ModelFormat;
  /** Why: what the bytes look like ("ONNX ModelProto, IR version 8", "PyTorch zip archive (PK\x03\x04)", ...). */
  reason: string;
  /** The IR version when an ONNX ir_version field was seen. */
  irVersion?: number;
}

export const SNIFF_BYTES = 64;

/** ModelProto fields and their wire types (0 varint, 2 length-delimited). */
const MODEL_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2 };
const MAX_IR_VERSION = 1000;

const ascii = (bytes: Uint8Array, start: number, end: number): string =>
  String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));

export function sniffModelFormat(firstBytes: Uint8Array, fileSize?: number): SniffResult {
  const b = firstBytes;
  const notOnnx = (reason: string): SniffResult => ({ format: 'not-onnx', reason });
  if (b.length === 0) return notOnnx('empty file');
  if (ascii(b, 4, 8) === 'ORTM') return { format: 'ort', reason: 'ONNX Runtime flatbuffer model (ORTM at bytes 4..8)' };
  if (b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6)) {
    return notOnnx('zip archive (PK\\x03\\x04): a PyTorch .pt/.pth checkpoint or another zip format');
  }
  if (b[0] === 0x80 && b.length > 1 && b[1] >= 2 && b[1] <= 5) {
    return notOnnx(`Python pickle (\\x80, protocol ${b[1]}): a legacy PyTorch, joblib or scikit-learn file`);
  }
  if (isSafetensors(b, fileSize)) return notOnnx('safetensors file (8-byte header length, then a JSON header)');
  if (ascii(b, 0, 8) === '\x89HDF\r\n\x1a\n') return notOnnx('HDF5 file (Keras .h5)');
  if (ascii(b, 4, 8) === 'TFL3') return notOnnx('TensorFlow Lite flatbuffer (TFL3)');
  if (ascii(b, 0, 4) === 'GGUF') return notOnnx('GGUF model file');
  if (ascii(b, 0, 6) === '\x93NUMPY') return notOnnx('NumPy .npy array');
  if (b[0] === 0x1f && b[1] === 0x8b) return notOnnx('gzip-compressed file');

  const probe = probeModelProto(b, fileSize);
  if (probe.ok) {
    const reason = probe.irVersion !== undefined ? `ONNX ModelProto, IR version ${probe.irVersion}` : 'ONNX ModelProto';
    return { format: 'onnx', reason, ...(probe.irVersion !== undefined ? { irVersion: probe.irVersion } : {}) };
  }
  const textKind = looksLikeText(b);
  if (textKind) return notOnnx(textKind);
  return notOnnx(`not an ONNX protobuf: ${probe.problem}`);
}

function isSafetensors(b: Uint8Array, fileSize: number | undefined): boolean {
  if (b.length < 10) return false;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  const fits = fileSize === undefined ? headerLength < 2 ** 31 : headerLength + 8 <= fileSize;
  return fits && headerLength > 1 && b[8] === 0x7b; /* { */
}

function looksLikeText(b: Uint8Array): string | undefined {
  const n = Math.min(b.length, 512);
  let start = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3; // UTF-8 BOM
  for (let i = start; i < n; i++) {
    const c = b[i];
    const printable = c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f) || c >= 0x80;
    if (!printable) return undefined;
  }
  let i = start;
  while (i < n && (b[i] === 0x20 || b[i] === 9 || b[i] === 10 || b[i] === 13)) i++;
  if (b[i] === 0x7b || b[i] === 0x5b) return 'JSON text, not a binary ONNX model';
  if (b[i] === 0x3c) return 'XML/HTML text, not a binary ONNX model';
  return 'text file, not a binary ONNX model (a Git LFS pointer or a textual protobuf?)';
}

type Probe = { ok: true; irVersion?: number } | { ok: false; problem: string };

/** Walks the first fields as a ModelProto: known fields must have their wire types; lengths must fit the file. */
function probeModelProto(b: Uint8Array, fileSize: number | undefined): Probe {
  const end = fileSize ?? Number.MAX_SAFE_INTEGER;
  const r = new ProtobufReader(b, 0, 0, end);
  if (fileSize !== undefined) r.endName = 'end of file';
  let known = 0;
  let irVersion: number | undefined;
  for (let fields = 0; fields < 16 && r.pos < b.length; fields++) {
    const at = r.pos;
    let tag: number;
    try {
      tag = r.tag();
    } catch (error) {
      if (error instanceof OnnxFormatError && r.pos >= b.length && r.pos < end) break; // ran out of sniffed bytes
      return { ok: false, problem: error instanceof Error ? error.message : String(error) };
    }
    const wireType = tag & 7;
    const field = (tag - wireType) / 8;
    const expected = MODEL_FIELDS[field];
    if (expected !== undefined && expected !== wireType) {
      return { ok: false, problem: `field ${field} with wire type ${wireType} at offset ${at} is not a ModelProto field` };
    }
    if (expected === undefined && (wireType === 3 || wireType === 4 || field > 1000)) {
      return { ok: false, problem: `unexpected field ${field} (wire type ${wireType}) at offset ${at}` };
    }
    if (expected !== undefined) known++;
    try {
      if (wireType === 2) {
        const n = r.length();
        r.pos += n;
      } else if (field === 1 && wireType === 0) {
        const v = r.int64();
        if (typeof v !== 'number' || v < 1 || v > MAX_IR_VERSION) {
          return { ok: false, problem: `implausible ir_version ${v} at offset ${at}` };
        }
        irVersion = v;
      } else {
        r.skip(wireType);
      }
    } catch (error) {
      if (error instanceof OnnxFormatError && r.limit < end && r.pos >= b.length) break;
      // A damaged file that starts like a model: let the reader report exactly where it breaks.
      const knownBefore = known - (expected !== undefined ? 1 : 0);
      if (knownBefore > 0) break;
      return { ok: false, problem: error instanceof Error ? error.message : String(error) };
    }
  }
  if (known === 0) return { ok: false, problem: 'no ModelProto field in the first bytes' };
  return irVersion === undefined ? { ok: true } : { ok: true, irVersion };
}
