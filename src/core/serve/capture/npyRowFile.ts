/**
 * A NumPy .npy file (v1, C order) that grows by rows along axis 0: data are appended at the end and the header,
 * written with a fixed length, is rewritten in place after each append with the new row count. Between the two
 * writes the file holds more data than its header says, which np.load reads fine (it reads what the shape says).
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { NpyType } from '../../ort/parseNpy';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** Whole header (magic, version, length and dict), a multiple of 64 with room for any shape a tensor has. */
export const NPY_HEADER_BYTES = 256;

const DESCR: Record<NpyType, string> = {
  bool: '|b1',
  uint8: '|u1',
  int8: '|i1',
  uint16: '<u2',
  int16: '<i2',
  uint32: '<u4',
  int32: '<i4',
  uint64: '<u8',
  int64: '<i8',
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
};

/** The fixed-length v1 header of a C-order array of `rows` rows of `inner` shape. */
export function npyHeader(type: NpyType, rows: number, inner: readonly number[]): Buffer {
  const shape = [rows, ...inner];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[type]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const room = NPY_HEADER_BYTES - 10 - 1;
  if (dict.length > room) throw new Error(`shape ${shapeText} is too long for a .npy header of ${NPY_HEADER_BYTES} bytes`);
  const head = Buffer.alloc(NPY_HEADER_BYTES, 0x20);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(NPY_HEADER_BYTES - 10, 8);
  head.write(dict, 10, 'latin1');
  head[NPY_HEADER_BYTES - 1] = 0x0a;
  return head;
}

export class NpyRowFile {
  rows = 0;
  /** Bytes in the file (header included). */
  bytes = NPY_HEADER_BYTES;

  private constructor(
    private readonly fh: FileHandle,
    readonly type: NpyType,
    /** The shape of one row (dims after axis 0). */
    readonly inner: readonly number[],
  ) {}

  /** Creates the file (it must not exist) with zero rows. */
  static async create(file: string, type: NpyType, inner: readonly number[]): Promise<NpyRowFile> {
    const fh = await open(file, 'wx');
    try {
      await fh.write(npyHeader(type, 0, inner), 0, NPY_HEADER_BYTES, 0);
    } catch (e) {
      await fh.close();
      throw e;
    }
    return new NpyRowFile(fh, type, inner);
  }

  accepts(type: NpyType, inner: readonly number[]): boolean {
    return type === this.type && inner.length === this.inner.length && inner.every((d, i) => d === this.inner[i]);
  }

  /** Appends row blocks (each a whole number of rows, in C order) and then updates the header. */
  async append(blocks: readonly { data: Buffer; rows: number }[]): Promise<void> {
    if (blocks.length === 0) return;
    const buffers = blocks.map((b) => b.data);
    const size = buffers.reduce((n, b) => n + b.length, 0);
    await this.fh.writev(buffers, this.bytes);
    this.bytes += size;
    this.rows += blocks.reduce((n, b) => n + b.rows, 0);
    await this.fh.write(npyHeader(this.type, this.rows, this.inner), 0, NPY_HEADER_BYTES, 0);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
