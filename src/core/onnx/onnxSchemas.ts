/**
 * onnx.proto (IR 14) as walker schemas: field numbers and what the reader keeps of each message.
 * Tensor values are never decoded here; their place in the file is recorded in TensorRef.payload.
 */
import { messageField, type FieldInfo, type FieldSpec, type MessageSchema } from './messageWalker';
import type {
  BlobRef,
  OnnxAttribute,
  OnnxDim,
  OnnxFunction,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTrainingInfo,
  OnnxType,
  OperatorSetId,
  StringEntry,
  ValueInfo,
} from './onnxModel';
import type { Int64 } from './protobufReader';
import { TensorField, type PayloadRun, type SparseTensorRef, type TensorRef } from './tensorRef';

type Fields<T> = Record<number, FieldSpec<T>>;

export function toNumber(value: Int64): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** A string the reader did not load (longer than the limit) shown as a placeholder. */
export function text(value: string | BlobRef): string {
  return typeof value === 'string' ? value : `<${value.length} bytes at offset ${value.offset}>`;
}

const str = <T>(name: string, set: (t: T, v: string) => void): FieldSpec<T> => ({
  kind: 'string',
  name,
  set: (t, v) => set(t, text(v)),
});
const int = <T>(name: string, set: (t: T, v: number) => void): FieldSpec<T> => ({
  kind: 'int64',
  name,
  set: (t, v) => set(t, toNumber(v)),
});

/** The wire type each TensorProto value field has when it is not packed. */
const UNPACKED_WIRE: Record<number, number> = {
  [TensorField.floatData]: 5,
  [TensorField.int32Data]: 0,
  [TensorField.stringData]: 2,
  [TensorField.int64Data]: 0,
  [TensorField.doubleData]: 1,
  [TensorField.uint64Data]: 0,
};
const FIXED_WIDTH: Record<number, number> = { [TensorField.floatData]: 4, [TensorField.doubleData]: 8 };

function addPayload(tensor: TensorRef, info: FieldInfo): void {
  const { field, wireType } = info;
  if (field === TensorField.rawData) {
    // bytes is singular: a later occurrence replaces an earlier one.
    if (wireType !== 2) return;
    tensor.payload = tensor.payload.filter((run) => run.field !== TensorField.rawData);
    tensor.payload.push({ field, packed: true, offset: info.offset, length: info.length });
    return;
  }
  if (wireType === 2 && field !== TensorField.stringData) {
    const width = FIXED_WIDTH[field];
    const run: PayloadRun = { field, packed: true, offset: info.offset, length: info.length };
    if (width !== undefined) run.count = Math.floor(info.length / width);
    tensor.payload.push(run);
    return;
  }
  if (wireType !== UNPACKED_WIRE[field]) return; // a value field with the wrong wire type: ignored like an unknown field
  const end = info.offset + info.length;
  const last = tensor.payload[tensor.payload.length - 1];
  if (last !== undefined && last.field === field && !last.packed && last.offset + last.length === info.tagOffset) {
    last.length = end - last.offset;
    last.count = (last.count ?? 0) + 1;
    return;
  }
  tensor.payload.push({ field, packed: false, offset: info.tagOffset, length: end - info.tagOffset, count: 1 });
}

function append<V>(list: V[], values: readonly V[]): void {
  for (const v of values) list.push(v);
}

function setOwn(record: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Builds the schemas for one model file (tensor refs remember the file's path). */
export function onnxSchemas(modelPath: string): { model: MessageSchema<OnnxModel>; tensor: MessageSchema<TensorRef> } {
  const entry: MessageSchema<StringEntry> = {
    name: 'StringStringEntryProto',
    create: () => ({ key: '', value: '' }),
    fields: { 1: str('key', (t, v) => (t.key = v)), 2: str('value', (t, v) => (t.value = v)) },
  };

  const opset: MessageSchema<OperatorSetId> = {
    name: 'OperatorSetIdProto',
    create: () => ({ domain: '', version: 0 }),
    fields: { 1: str('domain', (t, v) => (t.domain = v)), 2: int('version', (t, v) => (t.version = v)) },
  };

  const segment: MessageSchema<{ begin: number; end: number }> = {
    name: 'TensorProto.Segment',
    create: () => ({ begin: 0, end: 0 }),
    fields: { 1: int('begin', (t, v) => (t.begin = v)), 2: int('end', (t, v) => (t.end = v)) },
  };

  const payload = (name: string): FieldSpec<TensorRef> => ({ kind: 'payload', name, set: addPayload });
  const tensor: MessageSchema<TensorRef> = {
    name: 'TensorProto',
    create: (start, end) => ({
      name: '',
      dataType: 0,
      dims: [],
      docString: '',
      dataLocation: 'default',
      externalData: {},
      payload: [],
      offset: start,
      length: end - start,
      modelPath,
    }),
    fields: {
      1: { kind: 'int64s', name: 'dims', set: (t, v) => v.forEach((d) => t.dims.push(toNumber(d))) },
      2: { kind: 'int32', name: 'data_type', set: (t, v) => (t.dataType = v) },
      3: messageField(
        'segment',
        () => segment,
        (t: TensorRef, v) => (t.segment = v),
      ),
      4: payload('float_data'),
      5: payload('int32_data'),
      6: payload('string_data'),
      7: payload('int64_data'),
      8: str('name', (t, v) => (t.name = v)),
      9: payload('raw_data'),
      10: payload('double_data'),
      11: payload('uint64_data'),
      12: str('doc_string', (t, v) => (t.docString = v)),
      13: messageField(
        'external_data',
        () => entry,
        (t: TensorRef, v) => setOwn(t.externalData, v.key, v.value),
      ),
      14: { kind: 'int32', name: 'data_location', set: (t, v) => (t.dataLocation = v === 1 ? 'external' : 'default') },
    },
  };

  const sparse: MessageSchema<SparseTensorRef> = {
    name: 'SparseTensorProto',
    create: (start, end) => ({ name: '', dims: [], offset: start, length: end - start }),
    finish: (s) => ({ ...s, name: s.values?.name ?? '' }),
    fields: {
      1: messageField(
        'values',
        () => tensor,
        (t: SparseTensorRef, v) => (t.values = v),
      ),
      2: messageField(
        'indices',
        () => tensor,
        (t: SparseTensorRef, v) => (t.indices = v),
      ),
      3: { kind: 'int64s', name: 'dims', set: (t, v) => v.forEach((d) => t.dims.push(toNumber(d))) },
    },
  };

  const dimension: MessageSchema<{ value: OnnxDim }, OnnxDim> = {
    name: 'TensorShapeProto.Dimension',
    create: () => ({ value: null }),
    finish: (d) => d.value,
    fields: {
      1: int('dim_value', (t, v) => (t.value = v)),
      2: str('dim_param', (t, v) => (t.value = v)),
    },
  };
  const shape: MessageSchema<OnnxDim[]> = {
    name: 'TensorShapeProto',
    create: () => [],
    fields: {
      1: messageField(
        'dim',
        () => dimension,
        (t: OnnxDim[], v) => t.push(v),
      ),
    },
  };

  type TypeBuilder = { value?: OnnxType; denotation?: string };
  type TensorTypeBuilder = { elemType: number; shape?: OnnxDim[] };
  const tensorTypeFields = (): Fields<TensorTypeBuilder> => ({
    1: { kind: 'int32', name: 'elem_type', set: (t, v) => (t.elemType = v) },
    2: messageField(
      'shape',
      () => shape,
      (t: TensorTypeBuilder, v) => (t.shape = v),
    ),
  });
  const tensorType: MessageSchema<TensorTypeBuilder, OnnxType> = {
    name: 'TypeProto.Tensor',
    create: () => ({ elemType: 0 }),
    finish: (t) => ({ kind: 'tensor', ...t }),
    fields: tensorTypeFields(),
  };
  const sparseTensorType: MessageSchema<TensorTypeBuilder, OnnxType> = {
    name: 'TypeProto.SparseTensor',
    create: () => ({ elemType: 0 }),
    finish: (t) => ({ kind: 'sparse_tensor', ...t }),
    fields: tensorTypeFields(),
  };
  type ElemBuilder = { elemType?: OnnxType };
  const sequenceType: MessageSchema<ElemBuilder, OnnxType> = {
    name: 'TypeProto.Sequence',
    create: () => ({}),
    finish: (t) => ({ kind: 'sequence', ...t }),
    fields: {
      1: messageField(
        'elem_type',
        () => type,
        (t: ElemBuilder, v) => (t.elemType = v),
      ),
    },
  };
  const optionalType: MessageSchema<ElemBuilder, OnnxType> = {
    name: 'TypeProto.Optional',
    create: () => ({}),
    finish: (t) => ({ kind: 'optional', ...t }),
    fields: {
      1: messageField(
        'elem_type',
        () => type,
        (t: ElemBuilder, v) => (t.elemType = v),
      ),
    },
  };
  type MapBuilder = { keyType: number; valueType?: OnnxType };
  const mapType: MessageSchema<MapBuilder, OnnxType> = {
    name: 'TypeProto.Map',
    create: () => ({ keyType: 0 }),
    finish: (t) => ({ kind: 'map', ...t }),
    fields: {
      1: { kind: 'int32', name: 'key_type', set: (t, v) => (t.keyType = v) },
      2: messageField(
        'value_type',
        () => type,
        (t: MapBuilder, v) => (t.valueType = v),
      ),
    },
  };
  const setValue = (t: TypeBuilder, v: OnnxType): void => {
    t.value = v;
  };
  const type: MessageSchema<TypeBuilder, OnnxType> = {
    name: 'TypeProto',
    create: () => ({}),
    finish: (t) => {
      const value: OnnxType = t.value ?? { kind: 'unknown' };
      return t.denotation ? { ...value, denotation: t.denotation } : value;
    },
    fields: {
      1: messageField('tensor_type', () => tensorType, setValue),
      4: messageField('sequence_type', () => sequenceType, setValue),
      5: messageField('map_type', () => mapType, setValue),
      6: str('denotation', (t: TypeBuilder, v) => (t.denotation = v)),
      8: messageField('sparse_tensor_type', () => sparseTensorType, setValue),
      9: messageField('optional_type', () => optionalType, setValue),
    },
  };

  const valueInfo: MessageSchema<ValueInfo> = {
    name: 'ValueInfoProto',
    create: () => ({ name: '', docString: '' }),
    fields: {
      1: str('name', (t, v) => (t.name = v)),
      2: messageField(
        'type',
        () => type,
        (t: ValueInfo, v) => (t.type = v),
      ),
      3: str('doc_string', (t, v) => (t.docString = v)),
    },
  };

  const attribute: MessageSchema<OnnxAttribute> = {
    name: 'AttributeProto',
    create: () => ({ name: '', type: 0 }),
    fields: {
      1: str('name', (t, v) => (t.name = v)),
      2: { kind: 'float', name: 'f', set: (t, v) => (t.f = v) },
      3: { kind: 'int64', name: 'i', set: (t, v) => (t.i = v) },
      4: { kind: 'string', name: 's', set: (t, v) => (t.s = v) },
      5: messageField(
        't',
        () => tensor,
        (t: OnnxAttribute, v) => (t.t = v),
      ),
      6: messageField(
        'g',
        () => graph,
        (t: OnnxAttribute, v) => (t.g = v),
      ),
      7: { kind: 'floats', name: 'floats', set: (t, v) => append((t.floats ??= []), v) },
      8: { kind: 'int64s', name: 'ints', set: (t, v) => append((t.ints ??= []), v) },
      9: { kind: 'string', name: 'strings', set: (t, v) => (t.strings ??= []).push(v) },
      10: messageField(
        'tensors',
        () => tensor,
        (t: OnnxAttribute, v) => (t.tensors ??= []).push(v),
      ),
      11: messageField(
        'graphs',
        () => graph,
        (t: OnnxAttribute, v) => (t.graphs ??= []).push(v),
      ),
      13: str('doc_string', (t, v) => (t.docString = v)),
      14: messageField(
        'tp',
        () => type,
        (t: OnnxAttribute, v) => (t.tp = v),
      ),
      15: messageField(
        'type_protos',
        () => type,
        (t: OnnxAttribute, v) => (t.typeProtos ??= []).push(v),
      ),
      20: { kind: 'int32', name: 'type', set: (t, v) => (t.type = v) },
      21: str('ref_attr_name', (t, v) => (t.refAttrName = v)),
      22: messageField(
        'sparse_tensor',
        () => sparse,
        (t: OnnxAttribute, v) => (t.sparseTensor = v),
      ),
      23: messageField(
        'sparse_tensors',
        () => sparse,
        (t: OnnxAttribute, v) => (t.sparseTensors ??= []).push(v),
      ),
    },
  };

  const node: MessageSchema<OnnxNode> = {
    name: 'NodeProto',
    create: () => ({ name: '', opType: '', domain: '', overload: '', inputs: [], outputs: [], attributes: [], docString: '' }),
    fields: {
      1: str('input', (t, v) => t.inputs.push(v)),
      2: str('output', (t, v) => t.outputs.push(v)),
      3: str('name', (t, v) => (t.name = v)),
      4: str('op_type', (t, v) => (t.opType = v)),
      5: messageField(
        'attribute',
        () => attribute,
        (t: OnnxNode, v) => t.attributes.push(v),
      ),
      6: str('doc_string', (t, v) => (t.docString = v)),
      7: str('domain', (t, v) => (t.domain = v)),
      8: str('overload', (t, v) => (t.overload = v)),
    },
  };

  const graph: MessageSchema<OnnxGraph> = {
    name: 'GraphProto',
    graph: true,
    create: (start, end) => emptyGraph(start, end - start),
    fields: {
      1: messageField(
        'node',
        () => node,
        (t: OnnxGraph, v) => t.nodes.push(v),
      ),
      2: str('name', (t, v) => (t.name = v)),
      5: messageField(
        'initializer',
        () => tensor,
        (t: OnnxGraph, v) => t.initializers.push(v),
      ),
      10: str('doc_string', (t, v) => (t.docString = v)),
      11: messageField(
        'input',
        () => valueInfo,
        (t: OnnxGraph, v) => t.inputs.push(v),
      ),
      12: messageField(
        'output',
        () => valueInfo,
        (t: OnnxGraph, v) => t.outputs.push(v),
      ),
      13: messageField(
        'value_info',
        () => valueInfo,
        (t: OnnxGraph, v) => t.valueInfo.push(v),
      ),
      15: messageField(
        'sparse_initializer',
        () => sparse,
        (t: OnnxGraph, v) => t.sparseInitializers.push(v),
      ),
    },
  };

  const fn: MessageSchema<OnnxFunction> = {
    name: 'FunctionProto',
    create: () => ({
      name: '',
      domain: '',
      overload: '',
      inputs: [],
      outputs: [],
      attributes: [],
      attributeProtos: [],
      nodes: [],
      opsetImports: [],
      valueInfo: [],
      docString: '',
    }),
    fields: {
      1: str('name', (t, v) => (t.name = v)),
      4: str('input', (t, v) => t.inputs.push(v)),
      5: str('output', (t, v) => t.outputs.push(v)),
      6: str('attribute', (t, v) => t.attributes.push(v)),
      7: messageField(
        'node',
        () => node,
        (t: OnnxFunction, v) => t.nodes.push(v),
      ),
      8: str('doc_string', (t, v) => (t.docString = v)),
      9: messageField(
        'opset_import',
        () => opset,
        (t: OnnxFunction, v) => t.opsetImports.push(v),
      ),
      10: str('domain', (t, v) => (t.domain = v)),
      11: messageField(
        'attribute_proto',
        () => attribute,
        (t: OnnxFunction, v) => t.attributeProtos.push(v),
      ),
      12: messageField(
        'value_info',
        () => valueInfo,
        (t: OnnxFunction, v) => t.valueInfo.push(v),
      ),
      13: str('overload', (t, v) => (t.overload = v)),
    },
  };

  const training: MessageSchema<OnnxTrainingInfo> = {
    name: 'TrainingInfoProto',
    create: () => ({ initializationBinding: [], updateBinding: [] }),
    fields: {
      1: messageField(
        'initialization',
        () => graph,
        (t: OnnxTrainingInfo, v) => (t.initialization = v),
      ),
      2: messageField(
        'algorithm',
        () => graph,
        (t: OnnxTrainingInfo, v) => (t.algorithm = v),
      ),
      3: messageField(
        'initialization_binding',
        () => entry,
        (t: OnnxTrainingInfo, v) => t.initializationBinding.push(v),
      ),
      4: messageField(
        'update_binding',
        () => entry,
        (t: OnnxTrainingInfo, v) => t.updateBinding.push(v),
      ),
    },
  };

  const model: MessageSchema<OnnxModel> = {
    name: 'ModelProto',
    create: (_start, end) => ({
      path: modelPath,
      fileSize: end,
      irVersion: 0,
      opsetImports: [],
      producerName: '',
      producerVersion: '',
      domain: '',
      modelVersion: 0,
      docString: '',
      graph: emptyGraph(0, 0),
      metadataProps: [],
      trainingInfo: [],
      functions: [],
    }),
    fields: {
      1: int('ir_version', (t, v) => (t.irVersion = v)),
      2: str('producer_name', (t, v) => (t.producerName = v)),
      3: str('producer_version', (t, v) => (t.producerVersion = v)),
      4: str('domain', (t, v) => (t.domain = v)),
      5: int('model_version', (t, v) => (t.modelVersion = v)),
      6: str('doc_string', (t, v) => (t.docString = v)),
      7: messageField(
        'graph',
        () => graph,
        (t: OnnxModel, v) => (t.graph = v),
      ),
      8: messageField(
        'opset_import',
        () => opset,
        (t: OnnxModel, v) => t.opsetImports.push(v),
      ),
      14: messageField(
        'metadata_props',
        () => entry,
        (t: OnnxModel, v) => t.metadataProps.push(v),
      ),
      20: messageField(
        'training_info',
        () => training,
        (t: OnnxModel, v) => t.trainingInfo.push(v),
      ),
      25: messageField(
        'functions',
        () => fn,
        (t: OnnxModel, v) => t.functions.push(v),
      ),
    },
  };

  return { model, tensor };
}

export function emptyGraph(offset: number, length: number): OnnxGraph {
  return {
    name: '',
    docString: '',
    nodes: [],
    initializers: [],
    sparseInitializers: [],
    inputs: [],
    outputs: [],
    valueInfo: [],
    offset,
    length,
  };
}
