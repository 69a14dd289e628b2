/** Pure helpers of dynamic batching: which requests may share a run, concatenation along dim 0, and the split back. */
import { allocate, type TensorData } from '../ort/ortTypes';
import { ortTypeOfDatatype, type HostTensor } from './datatypes';

/**
 * The key under which requests may be batched together: every input's datatype and non-batch dims. Undefined when the
 * request cannot be batched at all (a rank-0 input, or inputs that disagree on dim 0).
 */
export function batchKey(inputs: readonly HostTensor[]): string | undefined {
  if (inputs.length === 0) return undefined;
  const rows = inputs[0].shape[0];
  let key = '';
  for (const t of inputs) {
    if (t.shape.length === 0 || t.shape[0] !== rows) return undefined;
    key += `${t.datatype}[${t.shape.slice(1).join(',')}];`;
  }
  return key;
}

/** Concatenates tensors of equal datatype and non-batch dims along dim 0. */
export function concatRows(parts: readonly HostTensor[]): HostTensor {
  const first = parts[0];
  if (parts.length === 1) return first;
  let rows = 0;
  let length = 0;
  for (const p of parts) {
    rows += p.shape[0];
    length += p.data.length;
  }
  const shape = [rows, ...first.shape.slice(1)];
  if (first.datatype === 'BYTES') {
    const data: string[] = [];
    for (const p of parts) for (const s of p.data as string[]) data.push(s);
    return { datatype: first.datatype, shape, data };
  }
  const data = allocate(ortTypeOfDatatype(first.datatype), length) as Exclude<TensorData, string[]>;
  let offset = 0;
  for (const p of parts) {
    (data as Uint8Array).set(p.data as Uint8Array, offset);
    offset += p.data.length;
  }
  return { datatype: first.datatype, shape, data };
}

/** Splits a tensor along dim 0 into parts of the given row counts (views, no copies, for typed arrays). */
export function splitRows(tensor: HostTensor, rows: readonly number[]): HostTensor[] {
  const total = tensor.shape[0];
  const sum = rows.reduce((a, b) => a + b, 0);
  if (tensor.shape.length === 0 || total !== sum) {
    throw new Error(`cannot split a tensor of shape [${tensor.shape.join(',')}] into rows [${rows.join(',')}]`);
  }
  const rowSize = total === 0 ? 0 : tensor.data.length / total;
  const rest = tensor.shape.slice(1);
  const out: HostTensor[] = [];
  let row = 0;
  for (const r of rows) {
    const begin = row * rowSize;
    const end = (row + r) * rowSize;
    const data = Array.isArray(tensor.data) ? tensor.data.slice(begin, end) : (tensor.data as Uint8Array).subarray(begin, end);
    out.push({ datatype: tensor.datatype, shape: [r, ...rest], data: data as TensorData });
    row += r;
  }
  return out;
}
