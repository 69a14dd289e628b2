/** Generators, random ops, losses, windows and the rest of the standard operators with simple shape rules. */
import { DataType } from '../dataTypes';
import { axisIndex } from './dimMath';
import type { ShapeRule } from './nodeContext';
import type { Dim } from './shapeTypes';

const like =
  (fallback: number | null): ShapeRule =>
  (ctx) =>
    ctx.set(0, { elemType: ctx.attr('dtype') ? ctx.int('dtype', 0) : (fallback ?? ctx.elemType(0)), shape: ctx.shape(0) });

const random: ShapeRule = (ctx) => {
  const shape = ctx.ints('shape');
  ctx.set(0, { elemType: ctx.int('dtype', DataType.FLOAT), shape: shape ?? null });
};

const window: ShapeRule = (ctx) => {
  const n = ctx.numbers(0)?.[0];
  ctx.set(0, { elemType: ctx.int('output_datatype', DataType.FLOAT), shape: [n === undefined ? null : n] });
};

const melWeightMatrix: ShapeRule = (ctx) => {
  const dft = ctx.numbers(1)?.[0];
  const bins = ctx.numbers(0)?.[0];
  ctx.set(0, {
    elemType: ctx.int('output_datatype', DataType.FLOAT),
    shape: [dft === undefined ? null : Math.floor(dft / 2) + 1, bins ?? null],
  });
};

const det: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  ctx.set(0, { elemType: ctx.elemType(0), shape: s === null ? null : s.slice(0, -2) });
};

const nonMaxSuppression: ShapeRule = (ctx) => ctx.set(0, { elemType: DataType.INT64, shape: [null, 3] });

const unique: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const axis = ctx.attr('axis');
  let y: Dim[] | null = [null];
  if (axis !== undefined) {
    if (s === null) y = null;
    else {
      y = [...s];
      y[axisIndex(Number(axis.i ?? 0), s.length)] = null;
    }
  }
  ctx.set(0, { elemType: ctx.elemType(0), shape: y });
  for (let i = 1; i < ctx.outputCount; i++) ctx.set(i, { elemType: DataType.INT64, shape: [null] });
};

const softmaxCrossEntropy: ShapeRule = (ctx) => {
  const reduction = ctx.str('reduction', 'mean');
  ctx.set(0, { elemType: ctx.elemType(0), shape: reduction === 'none' ? ctx.shape(1) : [] });
  ctx.set(1, { elemType: ctx.elemType(0), shape: ctx.shape(0) });
};

const negativeLogLikelihood: ShapeRule = (ctx) => {
  const reduction = ctx.str('reduction', 'mean');
  ctx.set(0, { elemType: ctx.elemType(0), shape: reduction === 'none' ? ctx.shape(1) : [] });
};

const stringNormalizer: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  ctx.set(0, { elemType: DataType.STRING, shape: s === null ? null : s.length === 1 ? [null] : [s[0], null] });
};

const multinomial: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  ctx.set(0, { elemType: ctx.int('dtype', DataType.INT32), shape: [s?.[0] ?? null, ctx.int('sample_size', 1)] });
};

const dft: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  if (s === null) return ctx.set(0, { elemType: ctx.elemType(0), shape: null });
  const shape: Dim[] = [...s];
  const axis = axisIndex(ctx.int('axis', 1), s.length);
  const length = ctx.has(1) ? (ctx.numbers(1)?.[0] ?? null) : s[axis];
  shape[axis] = ctx.int('onesided', 0) === 1 && typeof length === 'number' ? Math.floor(length / 2) + 1 : length;
  shape[s.length - 1] = 2;
  ctx.set(0, { elemType: ctx.elemType(0), shape });
};

const tfIdfVectorizer: ShapeRule = (ctx) => {
  const s = ctx.shape(0);
  const indexes = ctx.ints('ngram_indexes') ?? [];
  const width = indexes.length ? Math.max(...indexes) + 1 : null;
  ctx.set(0, { elemType: DataType.FLOAT, shape: s === null ? null : s.length === 1 ? [width] : [s[0], width] });
};

export const miscRules: Record<string, ShapeRule> = {
  EyeLike: like(null),
  RandomUniformLike: like(null),
  RandomNormalLike: like(null),
  Bernoulli: like(null),
  RandomUniform: random,
  RandomNormal: random,
  Multinomial: multinomial,
  HannWindow: window,
  HammingWindow: window,
  BlackmanWindow: window,
  MelWeightMatrix: melWeightMatrix,
  DFT: dft,
  Det: det,
  NonMaxSuppression: nonMaxSuppression,
  Unique: unique,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropy,
  NegativeLogLikelihoodLoss: negativeLogLikelihood,
  StringNormalizer: stringNormalizer,
  TfIdfVectorizer: tfIdfVectorizer,
  STFT: (ctx) => ctx.set(0, { elemType: ctx.elemType(0), shape: null }),
  SequenceLength: (ctx) => ctx.set(0, { elemType: DataType.INT64, shape: [] }),
  OptionalHasElement: (ctx) => ctx.set(0, { elemType: DataType.BOOL, shape: [] }),
};
