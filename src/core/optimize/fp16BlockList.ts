/**
 * What the fp16 recipe keeps in float32, and why: found by running one-node float16 models of ~100 ai.onnx ops
 * in onnxruntime-node 1.30's CPU provider. On x86 that provider has float16 kernels for very few ops
 * (LayerNormalization, data movement such as Transpose/Reshape/Concat/Gather/Slice, Max/Min, Clip, Round...); for
 * the rest (MatMul, Gemm, Conv, Add, Softmax, the reductions, every Resize mode...) it inserts Casts itself at
 * session creation and computes in float32, so those ops load and run. What fails is listed here: ops whose
 * schema has no float16 type, and ops whose float16 kernel is missing with no float input to cast from.
 */

/** ai.onnx ops kept in float32 (Casts around them), with the reason. */
export const FP32_ONLY_OPS: ReadonlyMap<string, string> = new Map([
  ['RandomNormal', "no float16 kernel in ONNX Runtime's CPU provider (dtype float16 fails to load)"],
  ['RandomUniform', "no float16 kernel in ONNX Runtime's CPU provider (dtype float16 fails to load)"],
  ['Range', 'ONNX gives Range no float16 type'],
  ['NonMaxSuppression', 'ONNX defines NonMaxSuppression on float32 boxes and scores only'],
  ['IsInf', 'ONNX gives IsInf float16 only from opset 20'],
  ['QuantizeLinear', 'its scale is float32 only below opset 19'],
  ['DynamicQuantizeLinear', 'ONNX defines it on float32 only'],
  ['SequenceEmpty', 'its dtype attribute fixes the element type'],
]);

/**
 * Inputs of ai.onnx ops that stay float32 even when the op runs in float16 (their type is constrained apart from
 * the data's, to float32): by op, the input indices for the model's default-domain opset.
 */
export function fp32OnlyInputs(opType: string, opset: number): readonly number[] {
  if (opType === 'Resize') return opset >= 11 ? [1, 2] : [1]; // roi, scales (opset 10: scales)
  if (opType === 'Upsample') return [1]; // scales
  return [];
}

/** Outputs of ai.onnx ops that are float32 whatever the data's type (LayerNormalization's Mean and InvStdDev). */
export function fp32OnlyOutputs(opType: string): readonly number[] {
  return opType === 'LayerNormalization' ? [1, 2] : [];
}
