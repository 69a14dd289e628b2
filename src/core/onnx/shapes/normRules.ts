/** Normalizations, Dropout and quantization: outputs shaped like the input, plus their side outputs. */
import { DataType } from '../dataTypes';
import { axisIndex } from './dimMath';
import type { ShapeRule } from './nodeContext';
import type { Dim } from './shapeTypes';

const batchNorm: ShapeRule = (ctx) => {
  ctx.set(0, { elemType: ctx.elemType(0), shape: ctx.shape(0) });
  const s = ctx.shape(0);
  const c: Dim[] = [ctx.shape(1)?.[0] ?? (s && s.length > 1 ? s[1] : null)];
  for (let i = 1; i < ctx.outputCount; i++) ctx.set(i, { elemType: ctx.elemType(ctx.opset >= 14 ? 3 : 1) ?? ctx.elemType(0), shape: c });
};

const layerNorm: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  ctx.set(0, { elemType: ctx.elemType(0), shape: s });
  if (ctx.outputCount < 2) return;
  const stash = ctx.int('stash_type', DataType.FLOAT);
  const axis = s === null ? 0 : axisIndex(ctx.int('axis', -1), s.length);
  const shape = s === null ? null : s.map((d, i) => (i < axis ? d : 1));
  for (let i = 1; i < ctx.outputCount; i++) ctx.set(i, { elemType: stash, shape });
};

const dropout: ShapeRule = (ctx) => {
  ctx.set(0, { elemType: ctx.elemType(0), shape: ctx.shape(0), value: ctx.value(0) });
  ctx.set(1, { elemType: ctx.opset >= 10 ? DataType.BOOL : ctx.elemType(0), shape: ctx.shape(0) });
};

const quantize: ShapeRule = (ctx) => {
  const given = ctx.int('output_dtype', 0);
  ctx.set(0, { elemType: given || (ctx.has(2) ? ctx.elemType(2) : DataType.UINT8), shape: ctx.shape(0) });
};

const dequantize: ShapeRule = (ctx) => {
  ctx.set(0, { elemType: ctx.opset >= 19 ? ctx.elemType(1) : DataType.FLOAT, shape: ctx.shape(0) });
};

const dynamicQuantize: ShapeRule = (ctx) => {
  ctx.set(0, { elemType: DataType.UINT8, shape: ctx.shape(0) });
  ctx.set(1, { elemType: DataType.FLOAT, shape: [] });
  ctx.set(2, { elemType: DataType.UINT8, shape: [] });
};

const sameAsInput: ShapeRule = (ctx) => ctx.set(0, { elemType: ctx.elemType(0), shape: ctx.shape(0) });

export const normRules: Record<string, ShapeRule> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  InstanceNormalization: sameAsInput,
  GroupNormalization: sameAsInput,
  Dropout: dropout,
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
};
