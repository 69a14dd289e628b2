/** Elementwise operators: unary ones keep their input's shape, the others broadcast (numpy rules). */
import { DataType } from '../dataTypes';
import { broadcastShapes } from './broadcastShapes';
import type { NodeContext, ShapeRule } from './nodeContext';
import type { Dim } from './shapeTypes';

/** Output 0 gets input 0's type and shape (and its known values for Identity-like ops). */
export const sameAsInput: ShapeRule = (ctx) => {
  ctx.set(0, { elemType: ctx.elemType(0), shape: ctx.shape(0) });
};

const sameWithValue: ShapeRule = (ctx) => {
  ctx.set(0, { elemType: ctx.elemType(0), shape: ctx.shape(0), value: ctx.value(0) });
};

const present = (ctx: NodeContext): number[] => {
  const out: number[] = [];
  for (let i = 0; i < ctx.node.inputs.length; i++) if (ctx.has(i)) out.push(i);
  return out;
};

/** Output elem type of a broadcasting op: `input` picks which input's type it takes, or a fixed type. */
function broadcasting(elemType: (ctx: NodeContext) => number | null, fold?: (a: number, b: number) => number): ShapeRule {
  return (ctx) => {
    const inputs = present(ctx);
    const shape = broadcastShapes(inputs.map((i) => ctx.shape(i)));
    let value: Dim[] | undefined;
    if (fold !== undefined && inputs.length === 2) value = foldValues(ctx.value(inputs[0]), ctx.value(inputs[1]), fold);
    ctx.set(0, { elemType: elemType(ctx), shape, value });
  };
}

/** Elementwise arithmetic on known int values (shape arithmetic such as Shape -> Mul -> Reshape). */
function foldValues(a: Dim[] | undefined, b: Dim[] | undefined, fold: (a: number, b: number) => number): Dim[] | undefined {
  if (a === undefined || b === undefined) return undefined;
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length === 1 ? 0 : i];
    const y = b[b.length === 1 ? 0 : i];
    if (typeof x === 'number' && typeof y === 'number') {
      const v = fold(x, y);
      out.push(Number.isFinite(v) ? v : null);
    } else if (fold === MUL && (x === 1 || y === 1)) out.push(x === 1 ? y : x);
    else if ((fold === ADD || fold === SUB) && y === 0) out.push(x);
    else if (fold === ADD && x === 0) out.push(y);
    else out.push(null);
  }
  return out;
}

const ADD = (a: number, b: number): number => a + b;
const SUB = (a: number, b: number): number => a - b;
const MUL = (a: number, b: number): number => a * b;
const DIV = (a: number, b: number): number => (b === 0 ? NaN : Math.trunc(a / b));

const first = (ctx: NodeContext): number | null => ctx.elemType(0);
const bool = (): number => DataType.BOOL;

const UNARY = [
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'Ceil', 'Cos', 'Cosh', 'Erf', 'Exp', 'Floor', 'Log', 'Neg',
  'Reciprocal', 'Relu', 'Round', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh', 'Elu',
  'Selu', 'Celu', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'ThresholdedRelu', 'Shrink', 'Mish', 'Gelu', 'Clip', 'Softmax',
  'LogSoftmax', 'Hardmax', 'LRN', 'MeanVarianceNormalization', 'CumSum', 'LpNormalization', 'Trilu', 'ReverseSequence',
  'BitwiseNot', 'Scatter', 'ScatterElements', 'ScatterND',
] as const; // prettier-ignore

export const elementwiseRules: Record<string, ShapeRule> = {
  Identity: sameWithValue,
  Not: (ctx) => ctx.set(0, { elemType: DataType.BOOL, shape: ctx.shape(0) }),
  IsNaN: (ctx) => ctx.set(0, { elemType: DataType.BOOL, shape: ctx.shape(0) }),
  IsInf: (ctx) => ctx.set(0, { elemType: DataType.BOOL, shape: ctx.shape(0) }),
  Add: broadcasting(first, ADD),
  Sub: broadcasting(first, SUB),
  Mul: broadcasting(first, MUL),
  Div: broadcasting(first, DIV),
  Pow: broadcasting(first),
  Mod: broadcasting(first),
  Max: broadcasting(first),
  Min: broadcasting(first),
  Sum: broadcasting(first),
  Mean: broadcasting(first),
  BitShift: broadcasting(first),
  BitwiseAnd: broadcasting(first),
  BitwiseOr: broadcasting(first),
  BitwiseXor: broadcasting(first),
  And: broadcasting(bool),
  Or: broadcasting(bool),
  Xor: broadcasting(bool),
  Equal: broadcasting(bool),
  Less: broadcasting(bool),
  Greater: broadcasting(bool),
  LessOrEqual: broadcasting(bool),
  GreaterOrEqual: broadcasting(bool),
  // Slope broadcasts to X (only along the channel before opset 7): the output is shaped like X.
  PRelu: sameAsInput,
  Where: (ctx) => ctx.set(0, { elemType: ctx.elemType(1), shape: broadcastShapes([ctx.shape(0), ctx.shape(1), ctx.shape(2)]) }),
  Cast: (ctx) => {
    const to = ctx.int('to', 0);
    const value = ctx.value(0);
    const isInt = to === DataType.INT64 || to === DataType.INT32;
    ctx.set(0, { elemType: to || null, shape: ctx.shape(0), value: isInt && value ? value.map(truncDim) : undefined });
  },
  CastLike: (ctx) => ctx.set(0, { elemType: ctx.elemType(1), shape: ctx.shape(0) }),
};
for (const op of UNARY) elementwiseRules[op] = sameAsInput;

const truncDim = (d: Dim): Dim => (typeof d === 'number' ? Math.trunc(d) : d);
