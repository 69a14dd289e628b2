import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildProfile, profileToJson } from '../../core/serve/driftProfile';
import { readSamplesFile } from '../../core/serve/sampleReader';
import { UsageError, type CliCommand } from '../cliCommand';

export const profileCommand: CliCommand = {
  name: 'profile',
  summary: 'Build a drift reference profile from training data (.npy, .csv, .json)',
  usage: `mlw profile <data.npy|data.csv|data.json> -o profile.json [--bins 10] [--input NAME] [--sample-size 1000]

Reads reference (training) data and writes per-feature statistics for drift monitoring:
bin edges at the data's quantiles, the fraction of data per bin (for PSI), a sorted sample (for KS),
and count, mean, std, min, max. Serve with: mlw serve model.onnx --reference profile.json
  -o, --output FILE     where to write the profile (required)
  --bins N              bins per feature, 2..1000 (default 10)
  --input NAME          model input the data belongs to (.npy, .csv, array .json); default "*" = the first input
  --sample-size N       reference values kept per feature for the KS statistic (default 1000)
Data: .npy (dim 0 = samples; little-endian f2/f4/f8/i1-i8/u1-u8/bool, C order), .csv (header row, numeric
columns kept), .json (array of rows, or {"inputName": rows, ...}).`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        bins: { type: 'string' },
        input: { type: 'string' },
        'sample-size': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one data file');
    if (!values.output) throw new UsageError('-o profile.json is required');
    const bins = values.bins === undefined ? 10 : Number(values.bins);
    if (!Number.isInteger(bins) || bins < 2 || bins > 1000) throw new UsageError('--bins must be an integer in [2, 1000]');
    const sampleSize = values['sample-size'] === undefined ? 1000 : Number(values['sample-size']);
    if (!Number.isInteger(sampleSize) || sampleSize < 10) throw new UsageError('--sample-size must be an integer >= 10');
    const file = path.resolve(ctx.workspace, positionals[0]);
    const samples = await readSamplesFile(file, values.input ?? '*');
    const profile = buildProfile(samples, { bins, sampleSize, source: path.basename(file) });
    const out = path.resolve(ctx.workspace, values.output);
    await writeFile(out, profileToJson(profile) + '\n');
    const summary = Object.entries(profile.inputs).map(([name, p]) => ({
      input: name,
      rows: p.rows,
      features: p.features.length,
      mode: p.mode,
    }));
    if (ctx.json) ctx.out(JSON.stringify({ output: out, bins, inputs: summary }, null, 2));
    else {
      for (const s of summary) ctx.out(`${s.input}: ${s.rows} rows, ${s.features} features (${s.mode})`);
      ctx.out(`wrote ${out}`);
    }
    return 0;
  },
};
