/** `mlw export MODEL.pt --input-shape 1,3,224,224 -o OUT.onnx`: a PyTorch file to ONNX through the user's interpreter. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  exportToOnnx,
  formatDynamicAxes,
  isExportError,
  isExportKind,
  parseClassName,
  parseDynamicAxes,
  parseInputShapes,
  parseKwargs,
  parseNames,
  parseOpset,
  suggestExportKind,
  defaultOutputPath,
  type ExportKind,
  type ExportResult,
} from '../../core/export';
import { InterpreterNotFoundError, resolveInterpreter } from '../../core/runs/resolveInterpreter';
import { UsageError, type CliCommand } from '../cliCommand';

const usage = `mlw export <model.pt|model.pth> --input-shape SHAPE [options] [-o OUT.onnx]

Exports a PyTorch file to ONNX with torch.onnx.export, run by a Python interpreter that has torch. The model is
run once on random sample inputs of the given shapes, then traced and written; the file appears only when the
export succeeded.

  --input-shape SHAPE  sample input shape, e.g. 1,3,224,224; several inputs separated by ; (1,16:int64; 1,16:int64);
                       the dtype after a colon, default float32 (also float16, float64, bfloat16, int64, int32, int8, uint8, bool)
  --kind KIND          what the file holds: torchscript (torch.jit.save), module (a whole module saved with torch.save:
                       unpickling it runs code from the file, so it is only done when asked), state-dict (needs --class).
                       Default: state-dict with --class, torchscript for a TorchScript archive
  --class MOD:CLASS    the model class for a state dict, importable from the workspace, e.g. models.net:Net
  --kwargs JSON        the class's constructor keyword arguments, e.g. '{"num_classes": 10}'
  --input-name NAMES   input names, comma separated (default input, or input_0, input_1, ...)
  --output-name NAMES  output names, comma separated (default output, or output_0, ...)
  --dynamic-axis AX    a dynamic dimension, NAME:AXIS=LABEL (input:0=batch), or AXIS=LABEL for every input and
                       output (0=batch); repeatable
  --opset N            ONNX opset (default 17)
  -o, --output FILE    the .onnx file (default: beside the model, NAME.onnx)
  --force              replace an existing output file
  --python PATH        interpreter (default: $MLW_PYTHON, else python3 on PATH)
  --json               print the result as JSON: {output, kind, opset, torch, inputs, outputs, dynamicAxes, seconds}

The workspace is put first on the interpreter's sys.path, so --class and a pickled module's classes import from it.
torch's own output shows with --verbose. Exit code 0 when exported, 1 when the export failed (one line on stderr),
2 on a usage error.

Example:
  mlw export resnet.pt --kind torchscript --input-shape 1,3,224,224 --dynamic-axis 0=batch -o resnet.onnx`;

function describe(r: ExportResult, workspace: string): string {
  const t = (x: { name: string; shape: number[]; dtype: string }): string => `${x.name} [${x.shape.join(',')}] ${x.dtype}`;
  const dynamic = Object.entries(r.dynamicAxes).flatMap(([name, axes]) => Object.entries(axes).map(([a, l]) => `${name}:${a}=${l}`));
  return [
    `Exported ${path.relative(workspace, r.file) || r.file} (${r.kind}) to ${path.relative(workspace, r.output) || r.output} in ${r.seconds.toFixed(1)} s (torch ${r.torch}, opset ${r.opset})`,
    `  inputs:  ${r.inputs.map(t).join(', ')}`,
    `  outputs: ${r.outputs.map(t).join(', ')}`,
    ...(dynamic.length ? [`  dynamic: ${dynamic.join(', ')}`] : []),
  ].join('\n');
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Export a PyTorch file (TorchScript, module or state dict) to ONNX',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'input-shape': { type: 'string' },
        kind: { type: 'string' },
        class: { type: 'string' },
        kwargs: { type: 'string' },
        'input-name': { type: 'string' },
        'output-name': { type: 'string' },
        'dynamic-axis': { type: 'string', multiple: true },
        opset: { type: 'string' },
        output: { type: 'string', short: 'o' },
        force: { type: 'boolean' },
        python: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected one .pt or .pth file');
    const file = path.resolve(ctx.workspace, positionals[0]);
    if (!existsSync(file)) {
      ctx.err(`mlw export: no such file: ${file}`);
      return 1;
    }
    if (!values['input-shape']) throw new UsageError('--input-shape is required, e.g. --input-shape 1,3,224,224');
    let kind: ExportKind;
    if (values.kind !== undefined) {
      if (!isExportKind(values.kind)) throw new UsageError(`--kind must be torchscript, module or state-dict, not ${values.kind}`);
      kind = values.kind;
    } else if (values.class) kind = 'state-dict';
    else {
      const guess = await suggestExportKind(file);
      if (guess?.kind !== 'torchscript') {
        const what =
          guess?.kind === 'module'
            ? `a whole pickled module (${guess.classes.slice(0, 3).join(', ')}): pass --kind module to unpickle it, which runs code from the file`
            : 'a state dict: pass --class module:Class, the model class to load it into';
        ctx.err(`mlw export: ${path.basename(file)} looks like ${what}`);
        return 2;
      }
      kind = 'torchscript';
    }
    if (kind === 'state-dict' && !values.class) throw new UsageError('--kind state-dict needs --class module:Class');
    let request;
    try {
      request = {
        file,
        kind,
        className: values.class !== undefined ? parseClassName(values.class) : undefined,
        kwargs: values.kwargs !== undefined ? parseKwargs(values.kwargs) : undefined,
        inputs: parseInputShapes(values['input-shape']),
        inputNames: values['input-name'] !== undefined ? parseNames(values['input-name'], '--input-name') : undefined,
        outputNames: values['output-name'] !== undefined ? parseNames(values['output-name'], '--output-name') : undefined,
        dynamicAxes: (values['dynamic-axis'] ?? []).flatMap((a) => parseDynamicAxes(a)),
        opset: values.opset !== undefined ? parseOpset(values.opset) : undefined,
        output: values.output !== undefined ? path.resolve(ctx.workspace, values.output) : defaultOutputPath(file),
        workspace: ctx.workspace,
      };
    } catch (e) {
      if (isExportError(e)) throw new UsageError(e.message);
      throw e;
    }
    let interpreter: string;
    try {
      interpreter = await resolveInterpreter(values.python, process.env, ctx.workspace);
    } catch (e) {
      if (!(e instanceof InterpreterNotFoundError)) throw e;
      ctx.err(
        `mlw export: Python interpreter not found: ${e.interpreter}; pass --python PATH (an interpreter with torch) or set MLW_PYTHON`,
      );
      return 1;
    }
    ctx.logger.info(
      `Exporting ${file} (${kind}) with ${interpreter}${request.dynamicAxes.length ? `, dynamic ${formatDynamicAxes(request.dynamicAxes)}` : ''}`,
    );
    try {
      const result = await exportToOnnx(request, {
        interpreter,
        overwrite: values.force,
        signal: ctx.signal,
        onOutput: (line) => ctx.logger.info(line),
      });
      ctx.out(ctx.json ? JSON.stringify(result, null, 2) : describe(result, ctx.workspace));
      return 0;
    } catch (e) {
      if (!isExportError(e)) throw e;
      const hint =
        e.kind === 'torch-missing' || e.kind === 'interpreter-not-found'
          ? ' (--python PATH picks another interpreter)'
          : e.kind === 'exists'
            ? ' (--force replaces it)'
            : '';
      ctx.err(`mlw export: ${e.message}${hint}`);
      return e.kind === 'bad-parameter' ? 2 : 1;
    }
  },
};
