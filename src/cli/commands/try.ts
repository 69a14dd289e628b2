import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeModel } from '../../core/onnx';
import { tryModel } from '../../core/ort';
import { loadInputs } from '../../core/ort/loadInputs';
import { IMAGE_PRESETS, isImagePreset } from '../../core/media';
import { formatTryResult } from '../../core/ort/formatTryResult';
import { UsageError, type CliCommand } from '../cliCommand';
import { parseDims, parseEpOption, parseScalars } from './bench';
import { notOnnxReason } from './inspect';

export const tryCommand: CliCommand = {
  name: 'try',
  summary: 'Run an ONNX model once on an image, a WAV file, a CSV row, .json/.npy values or random inputs',
  usage: `mlw try <model.onnx> [--input [NAME=]FILE ...] [--preset P] [--layout L] [--order O] [--rate HZ] [--row N]
         [--save-outputs DIR] [--batch N] [--dim name=value ...] [--scalar input=V ...] [--seed N] [--top K] [--ep LIST] [--json]

Runs the model once with onnxruntime-node and shows each output's shape, type, first values,
statistics and, for classifier-like outputs ([N,C] or [C] floats), the top-K classes (softmax of
logits; with class names when the metadata has labels, classes, names or id2label).
  --input FILE   feeds an input from a file, repeatable; NAME=FILE names the input (else the only
                 input, the one named like the file, or the one input that can take it):
                 .png/.jpg  decoded, resized (bilinear) to the input's size, normalised, NCHW or NHWC, batch 1
                 .wav       PCM 8/16/24/32-bit or float, mixed to mono, resampled, float32 [N] / [1,N]
                 .csv       one data row (header skipped), numeric columns, as [F] / [1,F]
                 .json      {input: nested array}; .npy an array
  --preset P     image normalisation: imagenet (mean .485,.456,.406 std .229,.224,.225 on 0-1), 0-1,
                 -1-1 or 0-255; default: the metadata's mean/std when it has them, else imagenet
  --layout L     image layout nchw or nhwc (default: where the shape has 1 or 3 channels)
  --order O      image channel order rgb or bgr (default: the metadata's, else rgb)
  --rate HZ      audio sample rate (default: metadata sample_rate/sr, a --scalar sr=, else 16000);
                 a sample-rate scalar input (sr) gets the same value
  --row N        CSV data row, 1 = the first after the header (default 1)
  --save-outputs DIR  writes every output as NAME.npy and image-like outputs ([N,1|3,H,W],
                 [N,H,W,1|3], [N,H,W] masks; H,W >= 8) as NAME.png
  --batch N      batch size for a symbolic first dimension of random inputs (default 1)
  --dim n=v      value of a symbolic dimension, repeatable (input:axis=N for an unnamed one); a dim without a
                 value takes the metadata's, an image's other side, the batch size when leading, else 16,
                 and the output says which
  --scalar i=V   value of a scalar input (e.g. --scalar sr=16000), repeatable
  --seed N       seed of the random inputs (default 1)
  --top K        classes shown per row (default 5)
  --ep LIST      execution providers in order, e.g. cuda,cpu (default cpu); one that cannot load is an
                 error, unless the list names cpu: then it falls back to CPU and says so on stderr`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        input: { type: 'string', multiple: true },
        batch: { type: 'string' },
        dim: { type: 'string', multiple: true },
        scalar: { type: 'string', multiple: true },
        seed: { type: 'string' },
        top: { type: 'string' },
        ep: { type: 'string' },
        preset: { type: 'string' },
        layout: { type: 'string' },
        order: { type: 'string' },
        rate: { type: 'string' },
        row: { type: 'string' },
        'save-outputs': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one model path');
    const path = resolve(ctx.workspace, positionals[0]);
    const executionProviders = parseEpOption(values.ep);
    const int = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
      return Number(v);
    };
    const reason = await notOnnxReason(path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? 'file not found' : e.message));
    if (reason !== undefined) {
      ctx.err(`mlw try: ${path} is not an ONNX model: ${reason}`);
      return 1;
    }
    const oneOf = <T extends string>(v: string | undefined, name: string, allowed: readonly T[]): T | undefined => {
      if (v === undefined) return undefined;
      if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
      return v as T;
    };
    if (values.preset !== undefined && !isImagePreset(values.preset))
      throw new UsageError(`--preset must be one of ${IMAGE_PRESETS.join(', ')}, got '${values.preset}'`);
    const dims = parseDims(values.dim ?? []);
    const scalars = parseScalars(values.scalar ?? []);
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0))
      throw new UsageError(`--rate must be a positive number of Hz, got '${values.rate}'`);
    const loaded = values.input?.length
      ? await loadInputs(
          await summarizeModel(path),
          values.input.map((f) => {
            const eq = f.indexOf('=');
            return eq > 0 && !f.slice(0, eq).includes('/')
              ? `${f.slice(0, eq)}=${resolve(ctx.workspace, f.slice(eq + 1))}`
              : resolve(ctx.workspace, f);
          }),
          {
            preset: values.preset as (typeof IMAGE_PRESETS)[number] | undefined,
            layout: oneOf(values.layout, 'layout', ['nchw', 'nhwc'] as const),
            order: oneOf(values.order, 'order', ['rgb', 'bgr'] as const),
            rate,
            row: int(values.row, 'row'),
            dims,
            scalars,
          },
        )
      : { feeds: {}, sources: [], scalars: {} };
    const result = await tryModel(path, loaded.feeds, {
      batchSize: int(values.batch, 'batch'),
      dims,
      scalars: { ...loaded.scalars, ...scalars },
      saveOutputs: values['save-outputs'] === undefined ? undefined : resolve(ctx.workspace, values['save-outputs']),
      seed: int(values.seed, 'seed'),
      topK: int(values.top, 'top'),
      executionProviders,
      logger: ctx.logger,
    });
    if (loaded.sources.length) result.sources = loaded.sources;
    ctx.out(ctx.json ? JSON.stringify(result, null, 2) : formatTryResult(result));
    return 0;
  },
};
