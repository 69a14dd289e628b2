/**
 * Lists the fields of one protobuf message in a file: field number, wire type and where its key and content
 * are. Only keys and lengths are read; payloads are skipped, so scanning a GraphProto with gigabytes of
 * initializers reads a few bytes per tensor.
 */
import { ByteWindow, type ByteSource } from '../byteSource';
import { OnnxFormatError } from '../onnxFormatError';
import { ProtobufReader, WireType } from '../protobufReader';

export interface FieldSlice {
  field: number;
  wireType: number;
  /** Where the field's key starts (the whole field is [tagOffset, end)). */
  tagOffset: number;
  /** Where its content starts: after the length prefix for length-delimited fields. */
  offset: number;
  end: number;
}

const EMPTY = new Uint8Array(0);

/** A scanner over one source; its window is reused across calls, so scanning neighbouring messages is cheap. */
export class FieldScanner {
  private readonly window: ByteWindow;
  private readonly reader = new ProtobufReader(EMPTY, 0, 0, 0);

  constructor(readonly source: ByteSource) {
    this.window = new ByteWindow(source, source.readSync !== undefined);
  }

  async scan(start: number, end: number): Promise<FieldSlice[]> {
    const fields: FieldSlice[] = [];
    let pos = start;
    while (pos < end) {
      const need = Math.min(20, end - pos);
      if (!this.window.has(pos, need)) {
        const reading = this.window.fill(pos, need);
        if (reading !== undefined) await reading;
      }
      const r = this.reader;
      r.reset(this.window.buf, this.window.start, pos, end);
      const tagOffset = pos;
      const tag = r.tag();
      const wireType = tag & 7;
      const field = (tag - wireType) / 8;
      let offset = r.pos;
      if (wireType === WireType.LengthDelimited) {
        const length = r.length();
        offset = r.pos;
        if (offset + length > end) throw new OnnxFormatError(`field ${field} at offset ${pos} runs past the end of its message`, pos);
        pos = offset + length;
      } else {
        r.skip(wireType);
        pos = r.pos;
      }
      fields.push({ field, wireType, tagOffset, offset, end: pos });
    }
    return fields;
  }
}
