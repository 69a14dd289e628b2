/** One request of zeros through a freshly loaded model, so its first real request does not pay ORT's first-run cost. */
import { buildInferRequest } from './inferExample';
import { parseInferRequest } from './inferRequest';
import type { ServedModel } from './servedModel';

export async function warmUp(model: ServedModel): Promise<void> {
  const meta = {
    name: model.name,
    inputs: model.signature.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
    outputs: model.signature.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
  };
  const body = buildInferRequest(meta, 'zeros');
  await model.infer(parseInferRequest(model.signature, body, Buffer.alloc(0)));
}
