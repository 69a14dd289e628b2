/** Shape inference for a model read by readModel: loads its small constants, then infers its main graph. */
import type { OnnxModel } from '../onnxModel';
import { inferShapes } from './inferShapes';
import { loadShapeConstants } from './loadShapeConstants';
import type { ShapeInferenceResult } from './shapeTypes';

export async function inferModelShapes(
  model: OnnxModel,
  signal?: AbortSignal,
  options: { keepValues?: boolean } = {},
): Promise<ShapeInferenceResult> {
  const constants = await loadShapeConstants(model, signal);
  return inferShapes(model.graph, { opsetImports: model.opsetImports, constants, keepValues: options.keepValues });
}
