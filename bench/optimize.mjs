// mlw optimize --recipe ort-extended on a torch-exported Transformer encoder (6 layers, d_model 256, 4 heads,
// feed-forward 1024, sequence 128), printing the report's figures for the original and the variant.
// Run by hand after `npm run build`: node bench/optimize.mjs [--runs N]. Needs Debian's python3-torch,
// python3-onnx and python3-sklearn (/usr/bin/python3, or MLW_TEST_PYTHON).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT as root, arg, torchFixtures } from './lib/torchFixtures.mjs';

const runs = arg('--runs', '200');

const fixtures = torchFixtures();
const out = mkdtempSync(join(tmpdir(), 'mlw-optimize-bench-out-'));
try {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'dist/mlw.js'),
      'optimize',
      join(fixtures, 'transformer_large.onnx'),
      '--recipe',
      'ort-extended',
      '-o',
      out,
      '--dim',
      'sequence=128',
      '--runs',
      runs,
      '--json',
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(r.stderr);
  const report = JSON.parse(r.stdout);
  const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;
  const row = (label, m) =>
    `${label.padEnd(13)} file ${mb(m.fileSize).padStart(9)}  weights ${mb(m.weightBytes).padStart(9)}  nodes ${String(m.nodes).padStart(4)}  ` +
    `create ${m.sessionCreateMs.toFixed(0).padStart(4)} ms  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms  ` +
    `${m.throughput.toFixed(1)} inf/s  peak RSS ${mb(m.peakRssBytes)} (baseline ${mb(m.baselineRssBytes)})`;
  const b = report.measurement.benchmark;
  console.log(`onnxruntime ${report.measurement.onnxruntime}, ${report.measurement.cores} cores, ${report.measurement.cpu}`);
  console.log(
    `${b.runs} runs per model interleaved in ${b.rounds} rounds of ${b.burst}, input ${b.inputs.map((i) => `${i.name}[${i.shape}]`).join(', ')}, sessions at level ${b.graphOptimizationLevel}`,
  );
  console.log(row('original', report.original));
  for (const v of report.variants) {
    console.log(row(v.recipe, v));
    const a = v.agreement;
    console.log(
      `  agreement on ${report.evaluation.samples} samples: max abs ${a.maxAbsDiff.toExponential(2)}, max rel ${a.maxRelDiff.toExponential(2)}, cosine ${a.cosine.toFixed(6)}`,
    );
    console.log(`  operators added: ${v.operatorsAdded.map((o) => `${o.op} +${o.after - o.before}`).join(', ')}`);
    console.log(`  ${v.verdict}`);
  }
  console.log(`whole mlw optimize run: ${wall.toFixed(1)} s`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
