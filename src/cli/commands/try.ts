import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeModel } from '../../core/onnx';
import { loadFeeds, tryModel } from '../../core/ort';
import { formatTryResult } from '../../core/ort/formatTryResult';
import { UsageError, type CliCommand } from '../cliCommand';
import { parseDims, parseEpOption, parseScalars } from './bench';
import { notOnnxReason } from './inspect';

export const tryCommand: CliCommand = {
  name: 'try',
  summary: 'Run an ONNX model once on random inputs or on values from .json/.npy files',
  usage: `mlw try <model.onnx> [--input FILE ...] [--batch N] [--dim name=value ...] [--scalar input=V ...] [--seed N] [--top K] [--ep LIST] [--json]

Runs the model once with onnxruntime-node and shows each output's shape, type, first values,
statistics and, for classifier-like outputs ([N,C] or [C] floats), the top-K classes.
  --input FILE   feeds from a .json file ({input: nested array}) or .npy files (name=file.npy), repeatable
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
    const feeds = values.input?.length
      ? await loadFeeds(
          await summarizeModel(path),
          values.input.map((f) => (f.includes('=') ? f : resolve(ctx.workspace, f))),
        )
      : {};
    const result = await tryModel(path, feeds, {
      batchSize: int(values.batch, 'batch'),
      dims: parseDims(values.dim ?? []),
      scalars: parseScalars(values.scalar ?? []),
      seed: int(values.seed, 'seed'),
      topK: int(values.top, 'top'),
      executionProviders,
      logger: ctx.logger,
    });
    ctx.out(ctx.json ? JSON.stringify(result, null, 2) : formatTryResult(result));
    return 0;
  },
};
