/**
 * Turns an edit plan into pieces of the output file. Each message is scanned field by field; a field the edit
 * does not touch is copied from the source by byte range (every initializer, every Constant, every node that
 * keeps its names), a field it changes is re-encoded, and a message holding a change is rebuilt as a new
 * length around its own pieces. So the written model differs from the source only where the edit says.
 */
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, ValueInfo } from '../onnxModel';
import type { TensorRef } from '../tensorRef';
import { ProtobufWriter } from '../../protobuf/protobufWriter';
import type { EditPlan, IoEntry } from './planModelEdit';
import { nodeTouches, scopedRenames } from './graphNames';
import type { FieldScanner, FieldSlice } from './scanFields';
import { nodePiece, tensorPiece } from './newNodes';
import { bytesPiece, copyPiece, messagePiece, type Piece } from './splicePieces';

const ModelField = { irVersion: 1, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const GraphField = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13, sparseInitializer: 15 } as const;

const wholeField = (f: FieldSlice): Piece => copyPiece(f.tagOffset, f.end - f.tagOffset);
const content = (f: FieldSlice): Piece => copyPiece(f.offset, f.end - f.offset);
const encoded = (build: (w: ProtobufWriter) => void): Piece => {
  const w = new ProtobufWriter();
  build(w);
  return bytesPiece(w.finish());
};

function dimPiece(value: number | string): Piece {
  return encoded((w) => w.message(1, (d) => (typeof value === 'number' ? d.varint(1, value) : d.string(2, value))));
}

function encodeValueInfo(w: ProtobufWriter, name: string, elemType: number, shape: (number | string | null)[] | null): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.varint(1, elemType);
      if (shape === null) return;
      tt.message(2, (s) => {
        for (const d of shape) {
          s.message(1, (dim) => {
            if (typeof d === 'number') dim.varint(1, d);
            else if (typeof d === 'string') dim.string(2, d);
          });
        }
      });
    }),
  );
}

export interface ExternalPlace {
  location: string;
  offset: number;
  length: number;
}

export class ModelSplicer {
  constructor(
    private readonly scanner: FieldScanner,
    private readonly model: OnnxModel,
    private readonly plan: EditPlan,
    /** External tensors moved to a data file of the output's own: their new location, offset and length. */
    private readonly relocate: ReadonlyMap<TensorRef, ExternalPlace> = new Map(),
  ) {}

  private relocated = 0;

  /** The pieces of the whole edited ModelProto. */
  async modelPieces(): Promise<Piece[]> {
    const { plan, model } = this;
    const fields = await this.scanner.scan(0, this.scanner.source.size);
    if (fields.filter((f) => f.field === ModelField.graph).length > 1) throw new Error('the model has more than one graph field');
    const out: Piece[] = [];
    let opsetIndex = 0;
    const opsetsToAdd = new Map((plan.rewrite?.opsets ?? []).map((o) => [o.domain === 'ai.onnx' ? '' : o.domain, o.version]));
    let wroteVersion = false;
    let wroteDoc = false;
    let wroteMeta = false;
    for (const f of fields) {
      switch (f.field) {
        case ModelField.irVersion:
          out.push(plan.irVersion !== undefined ? encoded((w) => w.varint(1, plan.irVersion as number)) : wholeField(f));
          break;
        case ModelField.modelVersion:
          if (plan.modelVersion === undefined) out.push(wholeField(f));
          else if (!wroteVersion) out.push(encoded((w) => w.varint(5, plan.modelVersion as number)));
          wroteVersion = true;
          break;
        case ModelField.docString:
          if (plan.docString === undefined) out.push(wholeField(f));
          else if (!wroteDoc) out.push(encoded((w) => w.string(6, plan.docString as string)));
          wroteDoc = true;
          break;
        case ModelField.graph:
          out.push(messagePiece(ModelField.graph, await this.graph(f, model.graph, plan.tensorRenames, true)));
          break;
        case ModelField.opsetImport: {
          const entry = model.opsetImports[opsetIndex++];
          const isDefault = entry !== undefined && (entry.domain === '' || entry.domain === 'ai.onnx');
          const domainKey = isDefault ? '' : (entry?.domain ?? '');
          const wanted = opsetsToAdd.get(domainKey);
          opsetsToAdd.delete(domainKey);
          const version =
            isDefault && plan.opset !== undefined
              ? plan.opset
              : wanted !== undefined && entry !== undefined && wanted > Number(entry.version)
                ? wanted
                : undefined;
          if (version !== undefined && entry !== undefined) {
            out.push(encoded((w) => w.message(8, (o) => o.string(1, entry.domain).varint(2, version))));
          } else out.push(wholeField(f));
          break;
        }
        case ModelField.metadataProps:
          if (plan.metadata === undefined) out.push(wholeField(f));
          else if (!wroteMeta) out.push(this.metadata());
          wroteMeta = true;
          break;
        default:
          out.push(wholeField(f));
      }
    }
    if (plan.modelVersion !== undefined && !wroteVersion) out.push(encoded((w) => w.varint(5, plan.modelVersion as number)));
    if (plan.docString !== undefined && !wroteDoc) out.push(encoded((w) => w.string(6, plan.docString as string)));
    if (plan.metadata !== undefined && !wroteMeta) out.push(this.metadata());
    if (this.relocated !== this.relocate.size)
      throw new Error('external data held in a node attribute cannot be moved to a data file of the output: only initializers can');
    for (const [domain, version] of opsetsToAdd) out.push(encoded((w) => w.message(8, (o) => o.string(1, domain).varint(2, version))));
    return out;
  }

  private metadata(): Piece {
    return encoded((w) => {
      for (const e of this.plan.metadata ?? []) w.message(14, (m) => m.string(1, e.key).string(2, e.value));
    });
  }

  /** A GraphProto's content. The main graph follows the plan; a subgraph only gets the renames in its scope. */
  private async graph(slice: FieldSlice, graph: OnnxGraph, renames: ReadonlyMap<string, string>, main: boolean): Promise<Piece[]> {
    const fields = await this.scanner.scan(slice.offset, slice.end);
    const byField = (n: number): FieldSlice[] => fields.filter((f) => f.field === n);
    const slices = {
      node: byField(GraphField.node),
      initializer: byField(GraphField.initializer),
      input: byField(GraphField.input),
      output: byField(GraphField.output),
      valueInfo: byField(GraphField.valueInfo),
      sparse: byField(GraphField.sparseInitializer),
    };
    const counts: [FieldSlice[], unknown[]][] = [
      [slices.node, graph.nodes],
      [slices.initializer, graph.initializers],
      [slices.input, graph.inputs],
      [slices.output, graph.outputs],
      [slices.valueInfo, graph.valueInfo],
      [slices.sparse, graph.sparseInitializers],
    ];
    for (const [s, list] of counts) {
      if (s.length !== list.length) throw new Error(`graph ${graph.name}: the file's fields do not match what the reader found`);
    }
    const plan = main ? this.plan : undefined;
    const index = new Map<FieldSlice, number>();
    for (const list of Object.values(slices)) list.forEach((f, i) => index.set(f, i));

    const out: Piece[] = [];
    const emitIo = async (field: number, entries: readonly IoEntry[]): Promise<void> => {
      for (const e of entries) out.push(await this.ioEntry(field, e, graph, slices));
    };
    let wroteInputs = false;
    let wroteOutputs = false;
    const rewrite = plan?.rewrite;
    const insert = (i: number): void => {
      for (const n of rewrite?.insertBefore.get(i) ?? []) out.push(nodePiece(n));
    };
    for (const f of fields) {
      const i = index.get(f) ?? -1;
      switch (f.field) {
        case GraphField.node: {
          insert(i);
          if (plan !== undefined && !plan.keepNodes[i]) break;
          out.push(await this.node(f, graph.nodes[i], renames, plan?.nodeRenames.get(i), rewrite));
          break;
        }
        case GraphField.initializer:
          if (plan !== undefined && !plan.keepInitializers[i]) break;
          out.push(await this.renamedTensor(f, graph.initializers[i], renames));
          break;
        case GraphField.sparseInitializer: {
          if (plan !== undefined && !plan.keepSparseInitializers[i]) break;
          const to = renames.get(graph.sparseInitializers[i].name);
          if (to === undefined) out.push(wholeField(f));
          else {
            const parts: Piece[] = [];
            for (const g of await this.scanner.scan(f.offset, f.end)) {
              parts.push(g.field === 1 ? messagePiece(1, await this.tensorContent(g, to)) : wholeField(g));
            }
            out.push(messagePiece(f.field, parts));
          }
          break;
        }
        case GraphField.input:
          if (plan === undefined) out.push(await this.valueInfo(f.field, f, graph.inputs[i], renames, undefined));
          else if (!wroteInputs) await emitIo(GraphField.input, plan.inputs);
          wroteInputs = true;
          break;
        case GraphField.output:
          if (plan === undefined) out.push(await this.valueInfo(f.field, f, graph.outputs[i], renames, undefined));
          else if (!wroteOutputs) await emitIo(GraphField.output, plan.outputs);
          wroteOutputs = true;
          break;
        case GraphField.valueInfo:
          if (plan !== undefined && !plan.keepValueInfo[i]) break;
          out.push(await this.valueInfo(f.field, f, graph.valueInfo[i], renames, undefined));
          break;
        default:
          out.push(wholeField(f));
      }
    }
    if (plan !== undefined && !wroteInputs) await emitIo(GraphField.input, plan.inputs);
    if (plan !== undefined && !wroteOutputs) await emitIo(GraphField.output, plan.outputs);
    if (rewrite !== undefined) {
      insert(graph.nodes.length);
      for (const t of rewrite.addInitializers) out.push(tensorPiece(GraphField.initializer, t));
    }
    return out;
  }

  /** A graph input or output of the edited main graph, from an entry of the file or encoded from its inferred type. */
  private async ioEntry(
    field: number,
    e: IoEntry,
    graph: OnnxGraph,
    slices: { input: FieldSlice[]; output: FieldSlice[]; valueInfo: FieldSlice[] },
  ): Promise<Piece> {
    const renames = this.plan.tensorRenames;
    const dims = this.plan.dims.get(e.name);
    const name = renames.get(e.name) ?? e.name;
    if (e.from === 'inferred') {
      const shape = e.shape === null ? null : e.shape.map((d, axis) => dims?.get(axis) ?? d);
      return encoded((w) => w.message(field, (vi) => encodeValueInfo(vi, name, e.elemType, shape)));
    }
    const list = e.from === 'input' ? graph.inputs : e.from === 'output' ? graph.outputs : graph.valueInfo;
    const slice = (e.from === 'input' ? slices.input : e.from === 'output' ? slices.output : slices.valueInfo)[e.index];
    return this.valueInfo(field, slice, list[e.index], renames, dims);
  }

  /** A ValueInfoProto as field `field`, with its name renamed and dims set where asked; copied when neither applies. */
  private async valueInfo(
    field: number,
    f: FieldSlice,
    info: ValueInfo,
    renames: ReadonlyMap<string, string>,
    dims: ReadonlyMap<number, number | string> | undefined,
  ): Promise<Piece> {
    const to = renames.get(info.name);
    if (to === undefined && dims === undefined) return field === f.field ? wholeField(f) : messagePiece(field, [content(f)]);
    const parts: Piece[] = [];
    for (const g of await this.scanner.scan(f.offset, f.end)) {
      if (g.field === 1 && to !== undefined) parts.push(encoded((w) => w.string(1, to)));
      else if (g.field === 2 && dims !== undefined) parts.push(messagePiece(2, await this.typeWithDims(g, dims)));
      else parts.push(wholeField(g));
    }
    return messagePiece(field, parts);
  }

  /** TypeProto > tensor_type > shape > dim: only the dims asked for are re-encoded. */
  private async typeWithDims(f: FieldSlice, dims: ReadonlyMap<number, number | string>): Promise<Piece[]> {
    const within = async (slice: FieldSlice, field: number, inner: (g: FieldSlice) => Promise<Piece[]>): Promise<Piece[]> => {
      const parts: Piece[] = [];
      for (const g of await this.scanner.scan(slice.offset, slice.end)) {
        parts.push(g.field === field && g.wireType === 2 ? messagePiece(field, await inner(g)) : wholeField(g));
      }
      return parts;
    };
    return within(f, 1, (tensorType) =>
      within(tensorType, 2, async (shape) => {
        const parts: Piece[] = [];
        let axis = 0;
        for (const d of await this.scanner.scan(shape.offset, shape.end)) {
          if (d.field !== 1) {
            parts.push(wholeField(d));
            continue;
          }
          const value = dims.get(axis++);
          parts.push(value === undefined ? wholeField(d) : dimPiece(value));
        }
        return parts;
      }),
    );
  }

  private async renamedTensor(f: FieldSlice, tensor: TensorRef, renames: ReadonlyMap<string, string>): Promise<Piece> {
    const to = renames.get(tensor.name);
    const place = this.relocate.get(tensor);
    if (place !== undefined) this.relocated++;
    return to === undefined && place === undefined ? wholeField(f) : messagePiece(f.field, await this.tensorContent(f, to, place));
  }

  /** A TensorProto's content with a new name and/or external place: everything else, the data above all, copied. */
  private async tensorContent(f: FieldSlice, name: string | undefined, place?: ExternalPlace): Promise<Piece[]> {
    const parts: Piece[] = [];
    for (const g of await this.scanner.scan(f.offset, f.end)) {
      if (g.field === 8 && name !== undefined) parts.push(encoded((w) => w.string(8, name)));
      else if (g.field !== 13 || place === undefined) parts.push(wholeField(g));
    }
    if (place !== undefined) {
      const entry = (key: string, value: string) => encoded((w) => w.message(13, (e) => e.string(1, key).string(2, value)));
      parts.push(entry('location', place.location), entry('offset', String(place.offset)), entry('length', String(place.length)));
    }
    return parts;
  }

  private async node(
    f: FieldSlice,
    node: OnnxNode,
    tensorRenames: ReadonlyMap<string, string>,
    newName: string | undefined,
    rewrite?: EditPlan['rewrite'],
  ): Promise<Piece> {
    // A rewrite's input renames apply where tensors are read, in the node and in its subgraphs; its output renames
    // where the node writes them.
    const renames =
      rewrite === undefined || rewrite.inputRenames.size === 0 ? tensorRenames : new Map([...tensorRenames, ...rewrite.inputRenames]);
    const outputRenames =
      rewrite === undefined || rewrite.outputRenames.size === 0 ? tensorRenames : new Map([...tensorRenames, ...rewrite.outputRenames]);
    const touched = nodeTouches(node, renames) || node.outputs.some((o) => outputRenames.has(o));
    if (newName === undefined && !touched) return wholeField(f);
    const parts: Piece[] = [];
    let inputIndex = 0;
    let outputIndex = 0;
    let attributeIndex = 0;
    let named = false;
    for (const g of await this.scanner.scan(f.offset, f.end)) {
      if (g.field === 1 || g.field === 2) {
        const name = g.field === 1 ? node.inputs[inputIndex++] : node.outputs[outputIndex++];
        const to = (g.field === 1 ? renames : outputRenames).get(name);
        parts.push(to === undefined ? wholeField(g) : encoded((w) => w.string(g.field, to)));
      } else if (g.field === 3 && newName !== undefined) {
        if (!named) parts.push(encoded((w) => w.string(3, newName)));
        named = true;
      } else if (g.field === 5) {
        parts.push(await this.attribute(g, node.attributes[attributeIndex++], renames));
      } else parts.push(wholeField(g));
    }
    if (newName !== undefined && !named) parts.push(encoded((w) => w.string(3, newName)));
    return messagePiece(f.field, parts);
  }

  private async attribute(f: FieldSlice, attribute: OnnxAttribute, renames: ReadonlyMap<string, string>): Promise<Piece> {
    if (renames.size === 0 || (attribute.g === undefined && (attribute.graphs?.length ?? 0) === 0)) return wholeField(f);
    const parts: Piece[] = [];
    let graphIndex = 0;
    for (const g of await this.scanner.scan(f.offset, f.end)) {
      const sub = g.field === 6 ? attribute.g : g.field === 11 ? attribute.graphs?.[graphIndex++] : undefined;
      if (sub === undefined || g.wireType !== 2) parts.push(wholeField(g));
      else parts.push(messagePiece(g.field, await this.graph(g, sub, scopedRenames(sub, renames), false)));
    }
    return messagePiece(f.field, parts);
  }
}
