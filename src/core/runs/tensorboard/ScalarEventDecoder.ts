import { decodeBfloat16, decodeFloat16 } from '../../onnx/float16';
import { ProtobufReader, WireType, decodeUtf8 } from '../../protobuf/protobufReader';
import type { MetricSeries } from '../readMetrics';

/**
 * Scalars out of TensorBoard `Event` records (the data of a TFRecord), as TensorBoard's published protos
 * number their fields (tensorboard/compat/proto/event.proto, summary.proto, tensor.proto, types.proto):
 *   Event:           wall_time = 1 (double, seconds), step = 2 (int64), file_version = 3, summary = 5
 *   Summary:         value = 1 (repeated Value)
 *   Summary.Value:   tag = 1, simple_value = 2 (float), node_name = 7, tensor = 8 (TensorProto), metadata = 9
 *   SummaryMetadata: plugin_data = 1 { plugin_name = 1, content = 2 }, data_class = 4 (1 = scalar)
 *   TensorProto:     dtype = 1, tensor_shape = 2 { dim = 2 { size = 1 } }, tensor_content = 4, float_val = 5,
 *                    double_val = 6, int_val = 7, int64_val = 10, half_val = 13, uint32_val = 16, uint64_val = 17
 * A point is a `simple_value` (TF1, PyTorch's SummaryWriter), or a one-element numeric tensor whose tag
 * belongs to the "scalars" plugin (TF2 `tf.summary.scalar`). Writers put the metadata on a tag's first
 * value only, so the plugin of each tag is remembered across records.
 */

const DT = {
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  INT16: 5,
  INT8: 6,
  INT64: 9,
  BFLOAT16: 14,
  UINT16: 17,
  HALF: 19,
  UINT32: 22,
  UINT64: 23,
} as const;

const SCALARS_PLUGIN = 'scalars';
const DATA_CLASS_SCALAR = 1;

/** One tag's points, in file order, in growable typed arrays. */
class PointBuffer {
  steps = new Float64Array(64);
  values = new Float64Array(64);
  times = new Float64Array(64);
  length = 0;

  push(step: number, value: number, timeMs: number): void {
    if (this.length === this.values.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.steps = grow(this.steps);
      this.values = grow(this.values);
      this.times = grow(this.times);
    }
    const i = this.length++;
    this.steps[i] = step;
    this.values[i] = value;
    this.times[i] = timeMs;
  }

  series(name: string): MetricSeries {
    const n = this.length;
    return { name, steps: this.steps.subarray(0, n), values: this.values.subarray(0, n), timestamps: this.times.subarray(0, n) };
  }
}

/** Decodes the events of one file, record by record, keeping its scalar series. */
export class ScalarEventDecoder {
  private readonly buffers = new Map<string, PointBuffer>();
  /** Plugin of each tag, from the first value that carried metadata. */
  private readonly plugins = new Map<string, string>();
  private readonly reader = new ProtobufReader(new Uint8Array(0));
  private view: DataView = new DataView(new ArrayBuffer(0));
  private viewOf: Uint8Array | undefined;
  /** `file_version` of the file's first event ("brain.Event:2"). */
  fileVersion: string | undefined;
  /** Wall time of the first event decoded (epoch ms). */
  firstWallTime: number | undefined;
  points = 0;

  /** Scalar series by tag, as views of the decoded points (valid until more points are decoded). */
  series(): Map<string, MetricSeries> {
    const out = new Map<string, MetricSeries>();
    for (const [tag, b] of this.buffers) out.set(tag, b.series(tag));
    return out;
  }

  /**
   * Decodes one Event from buf[start, end); `offset` is the file offset of buf[start] (errors name it).
   * Throws a ProtobufFormatError when the bytes are not an Event.
   */
  decode(buf: Uint8Array, start: number, end: number, offset: number): void {
    const r = this.reader;
    const base = offset - start;
    r.reset(buf, base, offset, offset + (end - start));
    if (this.viewOf !== buf) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    let wallTime = 0;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    while (r.pos < r.end) {
      const key = r.tag();
      const field = key >>> 3;
      const wire = key & 7;
      if (field === 1 && wire === WireType.Fixed64) wallTime = r.double();
      else if (field === 2 && wire === WireType.Varint) step = Number(r.int64());
      else if (field === 5 && wire === WireType.LengthDelimited) {
        const n = r.length();
        summaryStart = r.pos;
        summaryEnd = r.pos + n;
        r.pos = summaryEnd;
      } else if (field === 3 && wire === WireType.LengthDelimited && this.fileVersion === undefined) this.fileVersion = r.string();
      else r.skip(wire);
    }
    const timeMs = wallTime * 1000;
    if (this.firstWallTime === undefined) this.firstWallTime = timeMs;
    if (summaryStart < 0) return;
    const eventEnd = r.end;
    r.end = r.limit = summaryEnd;
    r.pos = summaryStart;
    while (r.pos < summaryEnd) {
      const key = r.tag();
      if (key >>> 3 === 1 && (key & 7) === WireType.LengthDelimited) {
        const n = r.length();
        const valueEnd = r.pos + n;
        this.value(r.pos, valueEnd, step, timeMs);
        r.end = r.limit = summaryEnd;
        r.pos = valueEnd;
      } else r.skip(key & 7);
    }
    r.end = r.limit = eventEnd;
  }

  /** One Summary.Value at [start, end) (absolute offsets). */
  private value(start: number, end: number, step: number, timeMs: number): void {
    const r = this.reader;
    r.end = r.limit = end;
    r.pos = start;
    let tagStart = -1;
    let tagEnd = -1;
    let simple: number | undefined;
    let tensorStart = -1;
    let tensorEnd = -1;
    let metaStart = -1;
    let metaEnd = -1;
    while (r.pos < end) {
      const key = r.tag();
      const field = key >>> 3;
      const wire = key & 7;
      if (field === 2 && wire === WireType.Fixed32) simple = r.float();
      else if (wire === WireType.LengthDelimited && (field === 1 || field === 8 || field === 9)) {
        const n = r.length();
        if (field === 1) {
          tagStart = r.pos;
          tagEnd = r.pos + n;
        } else if (field === 8) {
          tensorStart = r.pos;
          tensorEnd = r.pos + n;
        } else {
          metaStart = r.pos;
          metaEnd = r.pos + n;
        }
        r.skipBytes(n);
      } else r.skip(wire);
    }
    if (tagStart < 0) return;
    const tag = decodeUtf8(r.buf, tagStart - r.base, tagEnd - r.base);
    let scalarPlugin = false;
    if (metaStart >= 0) scalarPlugin = this.metadata(tag, metaStart, metaEnd);
    let v = simple;
    if (v === undefined && tensorStart >= 0 && (scalarPlugin || this.plugins.get(tag) === SCALARS_PLUGIN)) {
      v = this.tensorScalar(tensorStart, tensorEnd);
    }
    if (v === undefined) return;
    let b = this.buffers.get(tag);
    if (!b) this.buffers.set(tag, (b = new PointBuffer()));
    b.push(step, v, timeMs);
    this.points++;
  }

  /** Reads SummaryMetadata, remembers the tag's plugin; true when it marks a scalar. */
  private metadata(tag: string, start: number, end: number): boolean {
    const r = this.reader;
    r.end = r.limit = end;
    r.pos = start;
    let plugin = '';
    let dataClass = 0;
    while (r.pos < end) {
      const key = r.tag();
      const field = key >>> 3;
      const wire = key & 7;
      if (field === 1 && wire === WireType.LengthDelimited) {
        const n = r.length();
        const pluginEnd = r.pos + n;
        r.end = r.limit = pluginEnd;
        while (r.pos < pluginEnd) {
          const k = r.tag();
          if (k >>> 3 === 1 && (k & 7) === WireType.LengthDelimited) plugin = r.string();
          else r.skip(k & 7);
        }
        r.end = r.limit = end;
      } else if (field === 4 && wire === WireType.Varint) dataClass = r.int32();
      else r.skip(wire);
    }
    if (plugin) this.plugins.set(tag, plugin);
    return plugin === SCALARS_PLUGIN || (plugin === '' && dataClass === DATA_CLASS_SCALAR);
  }

  /** The value of a one-element numeric TensorProto at [start, end), or undefined for anything else. */
  private tensorScalar(start: number, end: number): number | undefined {
    const r = this.reader;
    r.end = r.limit = end;
    r.pos = start;
    let dtype = 0;
    let elements = 1;
    let contentStart = -1;
    let contentEnd = -1;
    let first: number | undefined;
    while (r.pos < end) {
      const key = r.tag();
      const field = key >>> 3;
      const wire = key & 7;
      if (field === 1 && wire === WireType.Varint) dtype = r.int32();
      else if (field === 2 && wire === WireType.LengthDelimited) elements = this.shapeElements(r.length());
      else if (field === 4 && wire === WireType.LengthDelimited) {
        const n = r.length();
        contentStart = r.pos;
        contentEnd = r.pos + n;
        r.skipBytes(n);
      } else if (
        first === undefined &&
        (field === 5 || field === 6 || field === 7 || field === 10 || field === 13 || field === 16 || field === 17)
      ) {
        first = this.firstElement(field, wire);
        if (first !== undefined && field === 13) first = dtype === DT.BFLOAT16 ? decodeBfloat16(first) : decodeFloat16(first);
      } else r.skip(wire);
    }
    if (elements !== 1) return undefined;
    if (contentStart >= 0) return this.contentScalar(dtype, contentStart - r.base, contentEnd - r.base);
    // A half_val read before the dtype was known: field order is free, but writers put dtype first.
    return first;
  }

  /** Element count of a TensorShapeProto of n bytes at the reader's position (rank 0: 1). */
  private shapeElements(n: number): number {
    const r = this.reader;
    const end = r.pos + n;
    const outerEnd = r.end;
    r.end = r.limit = end;
    let elements = 1;
    while (r.pos < end) {
      const key = r.tag();
      if (key >>> 3 === 2 && (key & 7) === WireType.LengthDelimited) {
        const dimLength = r.length();
        const dimEnd = r.pos + dimLength;
        r.end = r.limit = dimEnd;
        let size = 0;
        while (r.pos < dimEnd) {
          const k = r.tag();
          if (k >>> 3 === 1 && (k & 7) === WireType.Varint) size = Number(r.int64());
          else r.skip(k & 7);
        }
        r.end = r.limit = end;
        elements *= size;
      } else if (key >>> 3 === 3 && (key & 7) === WireType.Varint) {
        if (r.bool()) elements = -1; // unknown rank
      } else r.skip(key & 7);
    }
    r.end = r.limit = outerEnd;
    return elements;
  }

  /** First element of a typed value field (packed or not); the reader moves past the whole field. */
  private firstElement(field: number, wire: number): number | undefined {
    const r = this.reader;
    if (wire === WireType.LengthDelimited) {
      const n = r.length();
      const fieldEnd = r.pos + n;
      let v: number | undefined;
      if (n > 0) v = this.element(field, field === 5 ? WireType.Fixed32 : field === 6 ? WireType.Fixed64 : WireType.Varint);
      r.pos = fieldEnd;
      return v;
    }
    return this.element(field, wire);
  }

  private element(field: number, wire: number): number | undefined {
    const r = this.reader;
    if (field === 5 && wire === WireType.Fixed32) return r.float();
    if (field === 6 && wire === WireType.Fixed64) return r.double();
    if (wire !== WireType.Varint) {
      r.skip(wire);
      return undefined;
    }
    if (field === 7) return r.int32();
    if (field === 13 || field === 16) return r.uint32();
    if (field === 10) return Number(r.int64());
    if (field === 17) return Number(r.uint64());
    r.skip(wire);
    return undefined;
  }

  /** The first element of tensor_content buf[i, end) (little endian, as TensorFlow writes it). */
  private contentScalar(dtype: number, i: number, end: number): number | undefined {
    const dv = this.view;
    const n = end - i;
    switch (dtype) {
      case DT.FLOAT:
        return n >= 4 ? dv.getFloat32(i, true) : undefined;
      case DT.DOUBLE:
        return n >= 8 ? dv.getFloat64(i, true) : undefined;
      case DT.INT32:
        return n >= 4 ? dv.getInt32(i, true) : undefined;
      case DT.UINT32:
        return n >= 4 ? dv.getUint32(i, true) : undefined;
      case DT.INT64:
        return n >= 8 ? Number(dv.getBigInt64(i, true)) : undefined;
      case DT.UINT64:
        return n >= 8 ? Number(dv.getBigUint64(i, true)) : undefined;
      case DT.INT16:
        return n >= 2 ? dv.getInt16(i, true) : undefined;
      case DT.UINT16:
        return n >= 2 ? dv.getUint16(i, true) : undefined;
      case DT.HALF:
        return n >= 2 ? decodeFloat16(dv.getUint16(i, true)) : undefined;
      case DT.BFLOAT16:
        return n >= 2 ? decodeBfloat16(dv.getUint16(i, true)) : undefined;
      case DT.INT8:
        return n >= 1 ? dv.getInt8(i) : undefined;
      case DT.UINT8:
        return n >= 1 ? dv.getUint8(i) : undefined;
      default:
        return undefined;
    }
  }
}
