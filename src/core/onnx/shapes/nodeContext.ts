/** What an operator rule sees of one node: its inputs' types and known values, its attributes, and where to put its outputs. */
import { attributeKind } from '../readGraph';
import { AttributeType, type OnnxAttribute, type OnnxGraph, type OnnxNode } from '../onnxModel';
import type { Dim, Shape, TensorType } from './shapeTypes';

export interface OutputType extends TensorType {
  /** Known values of a small int tensor (a shape, indices), flattened: for value propagation. */
  value?: Dim[];
  /** For a sequence or optional output: its element's type (elemType and shape then describe nothing). */
  element?: TensorType;
}

export interface NodeContext {
  readonly node: OnnxNode;
  /** The opset of the node's domain (the default domain's when the model does not say). */
  readonly opset: number;
  readonly outputCount: number;
  /** True when input i is given (present and not the empty name). */
  has(i: number): boolean;
  shape(i: number): Shape;
  elemType(i: number): number | null;
  rank(i: number): number | null;
  /** Known values of input i (a constant, or a shape propagated from Shape), flattened. */
  value(i: number): Dim[] | undefined;
  /** The element type of input i when it is a sequence or an optional. */
  element(i: number): TensorType | undefined;
  /** Known values of input i when all are numbers. */
  numbers(i: number): number[] | undefined;
  /** Values of a small constant tensor by name (an initializer, or a Constant node's output). */
  constant(name: string): Dim[] | undefined;
  attr(name: string): OnnxAttribute | undefined;
  int(name: string, fallback: number): number;
  ints(name: string): number[] | undefined;
  float(name: string, fallback: number): number;
  floats(name: string): number[] | undefined;
  str(name: string, fallback: string): string;
  set(i: number, out: OutputType): void;
  /** Infers a subgraph with the given types for its inputs; the types of its outputs. */
  subgraph(graph: OnnxGraph, attribute: string, inputs: readonly (TensorType | undefined)[]): (TensorType | undefined)[];
}

export function attrInt(a: OnnxAttribute | undefined, fallback: number): number {
  return a?.i === undefined ? fallback : Number(a.i);
}

export function attrInts(a: OnnxAttribute | undefined): number[] | undefined {
  if (a === undefined) return undefined;
  const kind = attributeKind(a);
  if (kind === AttributeType.INTS || (kind === AttributeType.UNDEFINED && a.ints)) return (a.ints ?? []).map(Number);
  if (kind === AttributeType.INT && a.i !== undefined) return [Number(a.i)];
  return a.ints ? a.ints.map(Number) : [];
}

export function attrString(a: OnnxAttribute | undefined, fallback: string): string {
  return typeof a?.s === 'string' ? a.s : fallback;
}

/** Infers one operator's outputs; throws ShapeError when the inputs cannot be consistent. */
export type ShapeRule = (ctx: NodeContext) => void;
