import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../../core/format/formatBytes';
import { editModelFile, isModelEditError, type DimEdit, type ModelEdits, type Rename } from '../../core/onnx/edit';
import { isOnnxFormatError } from '../../core/onnx';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { notOnnxReason } from './inspect';

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);

function pair(flag: string, text: string): Rename {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`--${flag} ${text}: expected OLD=NEW`);
  return { from: text.slice(0, at), to: text.slice(at + 1) };
}

/** INPUT:AXIS=VALUE_OR_NAME; the tensor name may itself hold ':' (the last one before '=' separates the axis). */
function dim(text: string): DimEdit {
  const eq = text.lastIndexOf('=');
  const colon = eq < 0 ? -1 : text.lastIndexOf(':', eq);
  const axisText = colon < 0 ? '' : text.slice(colon + 1, eq);
  const valueText = text.slice(eq + 1);
  if (colon <= 0 || !/^-?\d+$/.test(axisText) || valueText === '') {
    throw new UsageError(`--set-dim ${text}: expected INPUT:AXIS=VALUE, e.g. --set-dim input:0=batch`);
  }
  const value = /^-?\d+$/.test(valueText) ? Number(valueText) : valueText;
  return { tensor: text.slice(0, colon), axis: Number(axisText), value };
}

function integer(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${flag} ${text}: expected an integer`);
  return Number(text);
}

export const editCommand: CliCommand = {
  name: 'edit',
  summary: 'Edit an ONNX model into a new file: rename, set dims, metadata, outputs, extract, opset',
  usage: `mlw edit <model.onnx> [edits] -o <out.onnx> [--json]

Writes an edited copy of the model; the model itself is never changed. Names in every flag are the names in
the source model. Weights are copied from the source by byte range, never decoded; external data stays
external (OUT in the model's folder points at the same files; elsewhere the files it needs are copied
beside OUT). Initializers no node uses any more are dropped.
  --rename-input A=B        rename graph input A (everywhere it is read, subgraphs included)
  --rename-output A=B       rename graph output A
  --rename-node A=B         rename node A
  --set-dim T:AXIS=V        set dimension AXIS of graph input (or output) T to a size (3) or a name (batch)
  --set-meta KEY=VALUE      set a metadata_props entry; --remove-meta KEY removes one
  --add-output T            make tensor T a graph output (its type from value_info or shape inference)
  --remove-output T         remove graph output T
  --extract IN1,IN2:OUT1    keep only the subgraph computing OUT1.. from IN1.. (as onnx.utils.extract_model)
  --opset N                 stamp ai.onnx opset N, only when no node of the model changes meaning with it
  --doc TEXT                set the model's doc string
  --model-version N         set the model version
  -o, --output OUT          the file to write (required, must differ from the model)
  --json                    print {model, output, bytesWritten, changes, droppedInitializers, externalData}
Flags marked by name can be repeated. Exit code: 0 written, 2 on any error (nothing is written).`,
  async run(args, ctx) {
    try {
      return await edit(args, ctx);
    } catch (e) {
      if (!(e instanceof UsageError) && !(e as NodeJS.ErrnoException).code?.startsWith?.('ERR_PARSE_ARGS')) throw e;
      ctx.err(`mlw edit: ${(e as Error).message} (mlw edit --help lists the flags)`);
      return 2;
    }
  },
};

async function edit(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'rename-input': { type: 'string', multiple: true },
      'rename-output': { type: 'string', multiple: true },
      'rename-node': { type: 'string', multiple: true },
      'set-dim': { type: 'string', multiple: true },
      'set-meta': { type: 'string', multiple: true },
      'remove-meta': { type: 'string', multiple: true },
      'add-output': { type: 'string', multiple: true },
      'remove-output': { type: 'string', multiple: true },
      extract: { type: 'string' },
      opset: { type: 'string' },
      doc: { type: 'string' },
      'model-version': { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('expected one model path');
  if (values.output === undefined) throw new UsageError('-o OUT is required: mlw edit never edits a model in place');
  const edits: ModelEdits = {
    renameInputs: list(values['rename-input']).map((t) => pair('rename-input', t)),
    renameOutputs: list(values['rename-output']).map((t) => pair('rename-output', t)),
    renameNodes: list(values['rename-node']).map((t) => pair('rename-node', t)),
    setDims: list(values['set-dim']).map(dim),
    setMeta: list(values['set-meta']).map((t) => {
      const at = t.indexOf('=');
      if (at <= 0) throw new UsageError(`--set-meta ${t}: expected KEY=VALUE`);
      return { key: t.slice(0, at), value: t.slice(at + 1) };
    }),
    removeMeta: list(values['remove-meta']),
    addOutputs: list(values['add-output']),
    removeOutputs: list(values['remove-output']),
    extract: values.extract,
    opset: integer('opset', values.opset),
    docString: values.doc,
    modelVersion: integer('model-version', values['model-version']),
  };
  const model = resolve(ctx.workspace, positionals[0]);
  const out = resolve(ctx.workspace, values.output);
  try {
    const reason = await notOnnxReason(model);
    if (reason !== undefined) {
      ctx.err(`mlw edit: ${model} is not an ONNX model: ${reason}`);
      return 2;
    }
    const result = await editModelFile(model, out, edits, { signal: ctx.signal, syncReads: true });
    if (ctx.json) {
      ctx.out(JSON.stringify(result, null, 2));
      return 0;
    }
    const lines = [`Wrote ${result.output} (${formatBytes(result.bytesWritten)})`];
    for (const c of result.changes) lines.push(`  ${c}`);
    const dropped = result.droppedInitializers;
    if (dropped.count > 0) lines.push(`  dropped ${dropped.count} unused initializers (${formatBytes(dropped.bytes)})`);
    if (result.changes.length === 0 && dropped.count === 0) lines.push('  no changes: the model was copied as it is');
    for (const e of result.externalData) {
      const what =
        e.action === 'referenced'
          ? 'referenced where it is (same folder)'
          : e.action === 'copied'
            ? 'copied beside the output'
            : 'already beside the output (identical)';
      lines.push(`  external data ${e.location} (${formatBytes(e.bytes)}): ${what}`);
    }
    ctx.out(lines.join('\n'));
    return 0;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.name === 'AbortError') throw e;
    if (isModelEditError(e)) ctx.err(`mlw edit: ${e.message}`);
    else if (err.code === 'ENOENT') ctx.err(`mlw edit: no such file: ${typeof err.path === 'string' ? err.path : model}`);
    else if (err.code === 'EISDIR') ctx.err(`mlw edit: ${typeof err.path === 'string' ? err.path : model} is a folder, not a model file`);
    else if (isOnnxFormatError(e)) ctx.err(`mlw edit: not a valid ONNX model: ${e.message} (at byte ${e.offset})`);
    else ctx.err(`mlw edit: ${err.message}`);
    return 2;
  }
}
