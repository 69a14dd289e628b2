/**
 * The smallest useful ONNX model, as bytes: y = Identity(x) on a float[1], IR version 8, opset 13. Sessions of it
 * show whether an execution provider loads without touching the user's model (probeExecutionProvider).
 * Field numbers from onnx.proto: ModelProto ir_version 1, graph 7, opset_import 8; GraphProto node 1, name 2,
 * input 11, output 12; NodeProto input 1, output 2, op_type 4; ValueInfoProto name 1, type 2; TypeProto
 * tensor_type 1; Tensor elem_type 1, shape 2; TensorShapeProto dim 1; Dimension dim_value 1.
 */

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

const int = (field: number, value: number): number[] => [...varint(field * 8), ...varint(value)];
const bytes = (field: number, body: readonly number[]): number[] => [...varint(field * 8 + 2), ...varint(body.length), ...body];
const text = (field: number, s: string): number[] => bytes(field, [...new TextEncoder().encode(s)]);

const FLOAT = 1;

/** ValueInfoProto of a float tensor of shape [1]. */
function floatValue(name: string): number[] {
  const shape = bytes(2, bytes(1, int(1, 1)));
  return [...text(1, name), ...bytes(2, bytes(1, [...int(1, FLOAT), ...shape]))];
}

export function probeModel(): Uint8Array {
  const node = [...text(1, 'x'), ...text(2, 'y'), ...text(4, 'Identity')];
  const graph = [...bytes(1, node), ...text(2, 'mlw-probe'), ...bytes(11, floatValue('x')), ...bytes(12, floatValue('y'))];
  return Uint8Array.from([...int(1, 8), ...bytes(7, graph), ...bytes(8, [...text(1, ''), ...int(2, 13)])]);
}
