/**
 * A schema-driven, iterative protobuf walker over a ByteSource.
 *
 * Message schemas say, per field number, what to do with a field: decode a scalar or a small string, decode
 * a short packed list, descend into a sub-message, or only note where the bytes are (tensor payloads). The
 * walk keeps an explicit stack instead of recursing, reads the source through a ByteWindow, and awaits only
 * when the window must be refilled, so walking metadata is fast and payloads are skipped without reading.
 *
 * Safety: every length is checked against the end of the enclosing message before anything is read or
 * allocated; message nesting, subgraph nesting, string sizes, packed list sizes and the number of decoded
 * items are capped; every step moves forward, so the walk ends.
 */
import { ByteWindow, type ByteSource } from './byteSource';
import type { BlobRef } from './onnxModel';
import { OnnxFormatError } from './onnxFormatError';
import { ProtobufReader, WireType, decodeUtf8, type Int64 } from './protobufReader';

/** Where a field sits in the source. `offset`/`length` delimit its content (for varints: the varint bytes). */
export interface FieldInfo {
  field: number;
  wireType: number;
  tagOffset: number;
  offset: number;
  length: number;
}

export type FieldSpec<T> =
  | { kind: 'int64'; name: string; set(target: T, value: Int64): void }
  | { kind: 'int32'; name: string; set(target: T, value: number): void }
  | { kind: 'float'; name: string; set(target: T, value: number): void }
  | { kind: 'string'; name: string; set(target: T, value: string | BlobRef): void }
  | { kind: 'int64s'; name: string; set(target: T, values: Int64[]): void }
  | { kind: 'floats'; name: string; set(target: T, values: number[]): void }
  | { kind: 'payload'; name: string; set(target: T, info: FieldInfo): void }
  | { kind: 'blob'; name: string; set(target: T, info: FieldInfo): void }
  | { kind: 'message'; name: string; schema(): MessageSchema<unknown, unknown>; set(target: T, value: unknown): void };

export interface MessageSchema<B, R = B> {
  readonly name: string;
  /** True for GraphProto: counts toward the subgraph nesting limit. */
  readonly graph?: boolean;
  create(start: number, end: number): B;
  finish?(built: B): R;
  readonly fields: Readonly<Record<number, FieldSpec<B>>>;
}

/** A sub-message field, typed at the call site and erased for the walker. */
export function messageField<T, C, R>(name: string, schema: () => MessageSchema<C, R>, set: (target: T, value: R) => void): FieldSpec<T> {
  return {
    kind: 'message',
    name,
    schema: schema as unknown as () => MessageSchema<unknown, unknown>,
    set: set as (target: T, value: unknown) => void,
  };
}

export interface WalkLimits {
  /** Graph levels (main graph = 1, each If/Loop/Scan body one more). */
  maxGraphDepth: number;
  /** Message nesting of any kind. */
  maxMessageDepth: number;
  /** Strings longer than this are not loaded; their place is reported as a BlobRef. */
  maxStringBytes: number;
  /** Packed int/float lists (dims, attribute ints/floats) longer than this are an error. */
  maxPackedBytes: number;
  /** Messages, strings and list values decoded in total: bounds memory on hostile files. */
  maxItems: number;
}

export const DEFAULT_LIMITS: WalkLimits = {
  maxGraphDepth: 64,
  maxMessageDepth: 256,
  maxStringBytes: 1024 * 1024,
  maxPackedBytes: 16 * 1024 * 1024,
  maxItems: 16_000_000,
};

export interface WalkOptions {
  signal?: AbortSignal;
  limits?: Partial<WalkLimits>;
  /**
   * Read the model's structure with blocking reads (a few KiB each) instead of awaiting each one. Much
   * faster for models with many large tensors (one read per tensor header, and an async read costs a
   * thread-pool round trip), but it blocks the thread while the OS reads: use it in the CLI, a worker or a
   * child process, not on the extension host. Tensor payloads are never read either way.
   */
  syncReads?: boolean;
  /** Window read sizes in bytes (default 4 KiB after a jump, doubling to 1 MiB); tests use tiny ones. */
  window?: { minRead: number; maxRead: number };
}

export interface WalkResult<R> {
  value: R;
  bytesRead: number;
}

interface Frame {
  schema: MessageSchema<unknown, unknown>;
  target: unknown;
  end: number;
  graphDepth: number;
  field: string;
  set?: (target: unknown, value: unknown) => void;
}

/** Longest field key (5) plus longest varint (10), rounded up. */
const MAX_HEADER = 20;
const EMPTY = new Uint8Array(0);

export async function walkMessage<R>(
  source: ByteSource,
  schema: MessageSchema<unknown, R>,
  start: number,
  end: number,
  options: WalkOptions = {},
): Promise<WalkResult<R>> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const signal = options.signal;
  const window = new ByteWindow(source, options.syncReads === true, options.window?.minRead, options.window?.maxRead);
  const r = new ProtobufReader(EMPTY, 0, 0, 0);
  const root: Frame = {
    schema: schema as MessageSchema<unknown, unknown>,
    target: schema.create(start, end),
    end,
    graphDepth: schema.graph ? 1 : 0,
    field: schema.name,
  };
  const stack: Frame[] = [root];
  let items = 1;
  let steps = 0;
  let pos = start;

  const overLimit = (what: string, at: number): OnnxFormatError => new OnnxFormatError(`${what} at offset ${at}`, at);

  try {
    for (;;) {
      const frame = stack[stack.length - 1];
      if (pos >= frame.end) {
        stack.pop();
        const value = frame.schema.finish ? frame.schema.finish(frame.target) : frame.target;
        if (stack.length === 0) return { value: value as R, bytesRead: window.bytesRead };
        frame.set?.(stack[stack.length - 1].target, value);
        continue;
      }
      if ((++steps & 0x3fff) === 0) signal?.throwIfAborted();

      const headerNeed = Math.min(MAX_HEADER, frame.end - pos);
      if (!window.has(pos, headerNeed)) {
        signal?.throwIfAborted();
        const reading = window.fill(pos, headerNeed);
        if (reading !== undefined) await reading;
      }
      r.reset(window.buf, window.start, pos, frame.end);
      r.endName = frame === root && root.end === source.size ? 'end of file' : 'end of message';
      const tagOffset = pos;
      const tag = r.tag();
      const wireType = tag & 7;
      const fieldNo = (tag - wireType) / 8;
      const spec = frame.schema.fields[fieldNo];
      if (spec === undefined || !accepts(spec.kind, wireType)) {
        r.skip(wireType);
        pos = r.pos;
        continue;
      }
      const target = frame.target;
      switch (spec.kind) {
        case 'int64':
          spec.set(target, r.int64());
          pos = r.pos;
          break;
        case 'int32':
          spec.set(target, r.int32());
          pos = r.pos;
          break;
        case 'float':
          spec.set(target, r.float());
          pos = r.pos;
          break;
        case 'string': {
          const length = r.length();
          const offset = r.pos;
          pos = offset + length;
          if (++items > limits.maxItems) throw overLimit(`more than ${limits.maxItems} items`, tagOffset);
          if (length > limits.maxStringBytes) {
            spec.set(target, { offset, length });
            break;
          }
          if (!window.has(offset, length)) await window.fill(offset, length);
          const i = offset - window.start;
          spec.set(target, decodeUtf8(window.buf, i, i + length));
          break;
        }
        case 'int64s':
        case 'floats': {
          if (wireType !== WireType.LengthDelimited) {
            if (spec.kind === 'int64s') spec.set(target, [r.int64()]);
            else spec.set(target, [r.float()]);
            pos = r.pos;
            if (++items > limits.maxItems) throw overLimit(`more than ${limits.maxItems} items`, tagOffset);
            break;
          }
          const length = r.length();
          const offset = r.pos;
          if (length > limits.maxPackedBytes) {
            throw overLimit(`packed ${spec.name} of ${length} bytes exceeds the limit of ${limits.maxPackedBytes}`, tagOffset);
          }
          if (!window.has(offset, length)) await window.fill(offset, length);
          r.reset(window.buf, window.start, offset, offset + length);
          if (spec.kind === 'int64s') {
            const values: Int64[] = [];
            r.packedInt64(offset + length, values);
            items += values.length;
            spec.set(target, values);
          } else {
            const values: number[] = [];
            r.packedFloat(offset + length, values);
            items += values.length;
            spec.set(target, values);
          }
          if (items > limits.maxItems) throw overLimit(`more than ${limits.maxItems} items`, tagOffset);
          pos = offset + length;
          break;
        }
        case 'payload':
        case 'blob': {
          let offset = r.pos;
          if (wireType === WireType.LengthDelimited) {
            const length = r.length();
            offset = r.pos;
            r.skipBytes(length);
          } else {
            r.skip(wireType);
          }
          spec.set(target, { field: fieldNo, wireType, tagOffset, offset, length: r.pos - offset });
          pos = r.pos;
          if (++items > limits.maxItems) throw overLimit(`more than ${limits.maxItems} items`, tagOffset);
          break;
        }
        case 'message': {
          const length = r.length();
          const offset = r.pos;
          const child = spec.schema();
          const graphDepth = frame.graphDepth + (child.graph ? 1 : 0);
          if (graphDepth > limits.maxGraphDepth) {
            throw overLimit(`subgraphs nested deeper than ${limits.maxGraphDepth} levels`, tagOffset);
          }
          if (stack.length >= limits.maxMessageDepth) {
            throw overLimit(`messages nested deeper than ${limits.maxMessageDepth} levels`, tagOffset);
          }
          if (++items > limits.maxItems) throw overLimit(`more than ${limits.maxItems} items`, tagOffset);
          stack.push({
            schema: child,
            target: child.create(offset, offset + length),
            end: offset + length,
            graphDepth,
            field: `${frame.schema.name}.${spec.name}`,
            set: spec.set as (target: unknown, value: unknown) => void,
          });
          pos = offset;
          break;
        }
      }
    }
  } catch (error) {
    if (error instanceof OnnxFormatError) {
      const path = stack.map((f) => f.field).join(' > ');
      throw new OnnxFormatError(`${error.message} (in ${path})`, error.offset, { cause: error });
    }
    throw error;
  }
}

function accepts(kind: FieldSpec<unknown>['kind'], wireType: number): boolean {
  switch (kind) {
    case 'int64':
    case 'int32':
      return wireType === WireType.Varint;
    case 'float':
      return wireType === WireType.Fixed32;
    case 'string':
    case 'message':
    case 'blob':
      return wireType === WireType.LengthDelimited;
    case 'int64s':
      return wireType === WireType.Varint || wireType === WireType.LengthDelimited;
    case 'floats':
      return wireType === WireType.Fixed32 || wireType === WireType.LengthDelimited;
    case 'payload':
      return wireType !== WireType.StartGroup && wireType !== WireType.EndGroup;
  }
}
