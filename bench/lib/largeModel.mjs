/**
 * A model with large float32 weights for the memory benches: a chain of MatMul nodes over square weights, the
 * weights in an external data file (weights.bin) or inline as raw_data. Written straight to disk (one block reused
 * for every weight), so making a 1 GiB model takes no more memory than one weight.
 * Needs the compiled test helpers (npm run compile-tests) for the protobuf writer.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WRITER = join(ROOT, 'out/test/unit/onnx/protoWriter.js');

/**
 * Writes `folder/model.onnx` (and `folder/weights.bin` unless inline) with `tensors` weights of about `mib` MiB.
 * Returns the model path and the weights' shape.
 */
export function writeLargeModel(folder, { tensors, mib, inline }) {
  const { ProtoWriter, graph, valueInfo } = createRequire(import.meta.url)(WRITER);
  const side = Math.round(Math.sqrt((mib * 1024 * 1024) / 4));
  const bytes = side * side * 4;
  const block = new Uint8Array(bytes);
  const view = new DataView(block.buffer);
  for (let i = 0; i < block.length; i += 4) view.setFloat32(i, ((i / 4) % 97) / 97 - 0.5, true);

  const nodes = [];
  for (let i = 0; i < tensors; i++) {
    nodes.push({
      opType: 'MatMul',
      name: `mm${i}`,
      inputs: [i === 0 ? 'x' : `h${i - 1}`, `w${i}`],
      outputs: [i === tensors - 1 ? 'y' : `h${i}`],
    });
  }
  const model = join(folder, 'model.onnx');
  const fd = openSync(model, 'w');
  const put = (b) => writeSync(fd, b);
  const header = new ProtoWriter();
  header.varint(1, 8);
  header.bytes(2, 'mlw-bench');
  const g = new ProtoWriter();
  graph({ name: 'large', nodes, inputs: [valueInfo('x', 1, [1, side])], outputs: [valueInfo('y', 1, [1, side])] })(g);
  const graphBytes = g.finish();
  // Initializers: external entries, or raw_data of `bytes` each (header encoded, data streamed from `block`).
  const heads = [];
  for (let i = 0; i < tensors; i++) {
    const t = new ProtoWriter().packedVarints(1, [side, side]).varint(2, 1).bytes(8, `w${i}`);
    if (!inline) {
      for (const [key, value] of Object.entries({ location: 'weights.bin', offset: String(i * bytes), length: String(bytes) })) {
        t.message(13, (e) => e.bytes(1, key).bytes(2, value));
      }
      t.varint(14, 1);
    } else t.raw([(9 << 3) | 2, ...ProtoWriter.varintBytes(bytes)]);
    heads.push(t.finish());
  }
  const tensorSize = (head) => head.length + (inline ? bytes : 0);
  let graphSize = graphBytes.length;
  for (const h of heads) graphSize += 1 + ProtoWriter.varintBytes(tensorSize(h)).length + tensorSize(h);
  put(header.finish());
  put(Uint8Array.from([(7 << 3) | 2, ...ProtoWriter.varintBytes(graphSize)]));
  put(graphBytes);
  for (const h of heads) {
    put(Uint8Array.from([(5 << 3) | 2, ...ProtoWriter.varintBytes(tensorSize(h))]));
    put(h);
    if (inline) put(block);
  }
  put(new ProtoWriter().message(8, (o) => o.bytes(1, '').varint(2, 13)).finish());
  closeSync(fd);
  if (!inline) {
    const w = openSync(join(folder, 'weights.bin'), 'w');
    for (let i = 0; i < tensors; i++) writeSync(w, block);
    closeSync(w);
  }
  return { model, side, bytes };
}
