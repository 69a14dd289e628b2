/**
 * `--extract IN1,IN2:OUT1,OUT2`. Tensor names may hold ':' themselves (`input_1:0` in converted TensorFlow
 * models), so every ':' is tried as the separator and the one that leaves only tensors of the graph on both
 * sides wins; none, or more than one, is an error.
 */
import { ModelEditError } from './modelEdits';

const names = (side: string): string[] => (side === '' ? [] : side.split(','));

export function parseExtractSpec(spec: string, isTensor: (name: string) => boolean): { inputs: string[]; outputs: string[] } {
  const splits: { inputs: string[]; outputs: string[] }[] = [];
  for (let at = spec.indexOf(':'); at >= 0; at = spec.indexOf(':', at + 1)) {
    const inputs = names(spec.slice(0, at));
    const outputs = names(spec.slice(at + 1));
    splits.push({ inputs, outputs });
  }
  if (splits.length === 0) throw new ModelEditError(`--extract ${spec}: expected INPUTS:OUTPUTS, e.g. --extract x:y,z`);
  const valid = splits.filter((s) => s.outputs.length > 0 && [...s.inputs, ...s.outputs].every(isTensor));
  if (valid.length === 1) return valid[0];
  if (valid.length > 1) throw new ModelEditError(`--extract ${spec}: ambiguous, more than one ':' separates tensors of the graph`);
  if (splits.length === 1) {
    const unknown = [...splits[0].inputs, ...splits[0].outputs].find((n) => !isTensor(n));
    if (splits[0].outputs.length === 0) throw new ModelEditError(`--extract ${spec}: name at least one output tensor after ':'`);
    throw new ModelEditError(`--extract: ${unknown ?? spec} is not a tensor of the graph`);
  }
  throw new ModelEditError(`--extract ${spec}: no ':' splits it into tensors of the graph`);
}
