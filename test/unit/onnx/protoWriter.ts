/**
 * A minimal protobuf writer for building synthetic ONNX files in tests (wire format from the protobuf spec,
 * field numbers from onnx.proto). Not a test file itself.
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  raw(bytes: Uint8Array | number[]): this {
    const chunk = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this;
  }

  /** Unsigned or two's complement varint (negative numbers take 10 bytes, as protobuf writes int64). */
  static varintBytes(value: number | bigint): number[] {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    return out;
  }

  key(field: number, wireType: number): this {
    return this.raw(ProtoWriter.varintBytes(field * 8 + wireType));
  }

  varint(field: number, value: number | bigint): this {
    return this.key(field, 0).raw(ProtoWriter.varintBytes(value));
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.key(field, 5).raw(b);
  }

  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return this.key(field, 1).raw(b);
  }

  bytes(field: number, value: Uint8Array | string): this {
    const b = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    return this.key(field, 2).raw(ProtoWriter.varintBytes(b.length)).raw(b);
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner: number[] = [];
    for (const v of values) inner.push(...ProtoWriter.varintBytes(v));
    return this.bytes(field, Uint8Array.from(inner));
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  packedDoubles(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 8);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat64(i * 8, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

type W = (w: ProtoWriter) => void;

export interface TensorSpec {
  name: string;
  dataType: number;
  dims: number[];
  raw?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: (number | bigint)[];
  doubleData?: number[];
  uint64Data?: (number | bigint)[];
  stringData?: string[];
  /** Write typed values unpacked (one tag per value). */
  unpacked?: boolean;
  external?: Record<string, string>;
}

export const tensor =
  (t: TensorSpec): W =>
  (w) => {
    if (t.dims.length > 0) w.packedVarints(1, t.dims);
    w.varint(2, t.dataType);
    w.bytes(8, t.name);
    if (t.floatData) {
      if (t.unpacked) t.floatData.forEach((v) => w.float(4, v));
      else w.packedFloats(4, t.floatData);
    }
    if (t.int32Data) {
      if (t.unpacked) t.int32Data.forEach((v) => w.varint(5, v));
      else w.packedVarints(5, t.int32Data);
    }
    for (const s of t.stringData ?? []) w.bytes(6, s);
    if (t.int64Data) {
      if (t.unpacked) t.int64Data.forEach((v) => w.varint(7, v));
      else w.packedVarints(7, t.int64Data);
    }
    if (t.raw) w.bytes(9, t.raw);
    if (t.doubleData) {
      if (t.unpacked) t.doubleData.forEach((v) => w.double(10, v));
      else w.packedDoubles(10, t.doubleData);
    }
    if (t.uint64Data) w.packedVarints(11, t.uint64Data);
    if (t.external) {
      for (const [key, value] of Object.entries(t.external)) w.message(13, (e) => e.bytes(1, key).bytes(2, value));
      w.varint(14, 1);
    }
  };

/** A ValueInfoProto of a tensor type; dims: numbers, strings (dim_param) or null (unknown). */
export const valueInfo =
  (name: string, elemType: number, dims?: (number | string | null)[]): W =>
  (w) => {
    w.bytes(1, name);
    w.message(2, (type) =>
      type.message(1, (tt) => {
        tt.varint(1, elemType);
        if (dims) {
          tt.message(2, (shape) => {
            for (const d of dims) {
              shape.message(1, (dim) => {
                if (typeof d === 'number') dim.varint(1, d);
                else if (typeof d === 'string') dim.bytes(2, d);
              });
            }
          });
        }
      }),
    );
  };

export interface NodeSpec {
  opType: string;
  inputs?: string[];
  outputs?: string[];
  name?: string;
  domain?: string;
  attributes?: W[];
}

export const node =
  (n: NodeSpec): W =>
  (w) => {
    for (const i of n.inputs ?? []) w.bytes(1, i);
    for (const o of n.outputs ?? []) w.bytes(2, o);
    if (n.name) w.bytes(3, n.name);
    w.bytes(4, n.opType);
    for (const a of n.attributes ?? []) w.message(5, a);
    if (n.domain) w.bytes(7, n.domain);
  };

export const attrInt =
  (name: string, value: number | bigint): W =>
  (w) =>
    w.bytes(1, name).varint(3, value).varint(20, 2);
export const attrInts =
  (name: string, values: (number | bigint)[]): W =>
  (w) =>
    w.bytes(1, name).packedVarints(8, values).varint(20, 7);
export const attrFloat =
  (name: string, value: number): W =>
  (w) =>
    w.bytes(1, name).float(2, value).varint(20, 1);
export const attrString =
  (name: string, value: string): W =>
  (w) =>
    w.bytes(1, name).bytes(4, value).varint(20, 3);
export const attrTensor =
  (name: string, t: TensorSpec): W =>
  (w) =>
    w.bytes(1, name).message(5, tensor(t)).varint(20, 4);
export const attrGraph =
  (name: string, g: W): W =>
  (w) =>
    w.bytes(1, name).message(6, g).varint(20, 5);

export interface GraphSpec {
  name?: string;
  nodes?: NodeSpec[];
  initializers?: TensorSpec[];
  sparseInitializers?: { values: TensorSpec; indices: TensorSpec; dims: number[] }[];
  inputs?: W[];
  outputs?: W[];
}

export const graph =
  (g: GraphSpec): W =>
  (w) => {
    for (const n of g.nodes ?? []) w.message(1, node(n));
    w.bytes(2, g.name ?? 'g');
    for (const t of g.initializers ?? []) w.message(5, tensor(t));
    for (const i of g.inputs ?? []) w.message(11, i);
    for (const o of g.outputs ?? []) w.message(12, o);
    for (const s of g.sparseInitializers ?? []) {
      w.message(15, (sp) => sp.message(1, tensor(s.values)).message(2, tensor(s.indices)).packedVarints(3, s.dims));
    }
  };

export interface ModelSpec {
  irVersion?: number;
  opsets?: [string, number][];
  producer?: string;
  graph: GraphSpec | W;
  functions?: W[];
  metadata?: Record<string, string>;
}

export function model(m: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, m.irVersion ?? 8);
  w.bytes(2, m.producer ?? 'mlw-test');
  w.message(7, typeof m.graph === 'function' ? m.graph : graph(m.graph));
  for (const [domain, version] of m.opsets ?? [['', 17]]) w.message(8, (o) => o.bytes(1, domain).varint(2, version));
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, (e) => e.bytes(1, key).bytes(2, value));
  for (const f of m.functions ?? []) w.message(25, f);
  return w.finish();
}

/** Float32 values as little-endian bytes (for raw_data). */
export function f32(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
