// Goals: a TensorBoard event file with 1,000,000 scalars is listed in <= 0.5 s and its series are read,
// ready to chart (packed as the dashboard sends them, downsampled as the chart draws them), in <= 1 s.
// Usage: node bench/runs-tensorboard.mjs [scalars]   (needs `npx tsc -p tsconfig.test.json` first)
// The file is written here with a minimal encoder (TFRecord framing, Event { wall_time, step, summary
// { value { tag, simple_value } } }), four tags interleaved; the tests write theirs with python3-protobuf.
import { createRequire } from 'node:module';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = (p) => require(path.join(repo, 'out', p));
const { maskedCrc32c } = out('src/core/runs/tensorboard/crc32c.js');
const { listWorkspaceRuns, readRunMetrics } = out('src/core/runs/listWorkspaceRuns.js');
const { defaultTensorboardCache } = out('src/core/runs/tensorboard/TensorboardCache.js');
const { packSeries } = out('src/shared/runsProtocol.js');
const { normalizeCurve, alignCurves } = out('webview-ui/lib/downsampleCurves.js');
const scalars = Number(process.argv[2] ?? 1_000_000);

function varint(bytes, v) {
  while (v >= 0x80) {
    bytes.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
}
function event(wallTime, step, tag, value) {
  const tagBytes = Buffer.from(tag);
  const val = [0x0a, tagBytes.length, ...tagBytes, 0x15, ...new Uint8Array(new Float32Array([value]).buffer)];
  const summary = [0x0a, val.length, ...val];
  const ev = [0x09, ...new Uint8Array(new Float64Array([wallTime]).buffer), 0x10];
  varint(ev, step);
  ev.push(0x2a, summary.length, ...summary);
  return Uint8Array.from(ev);
}
function record(data) {
  const r = Buffer.alloc(16 + data.length);
  r.writeUInt32LE(data.length, 0);
  r.writeUInt32LE(maskedCrc32c(r, 0, 8), 8);
  r.set(data, 12);
  r.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return r;
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-tb-'));
try {
  const dir = path.join(ws, 'runs', 'big');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'events.out.tfevents.1732000000.bench.1.0');
  const tags = ['train/loss', 'train/accuracy', 'lr', 'val/loss'];
  writeFileSync(
    file,
    record(Uint8Array.from([0x09, ...new Uint8Array(new Float64Array([1732000000]).buffer), 0x1a, 13, ...Buffer.from('brain.Event:2')])),
  );
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let block = 0; block < scalars; block += 20_000) {
    const parts = [];
    for (let i = block; i < Math.min(scalars, block + 20_000); i++)
      parts.push(record(event(1732000000 + i * 0.01, i >> 2, tags[i & 3], rand())));
    appendFileSync(file, Buffer.concat(parts));
  }
  const size = statSync(file).size;
  console.log(`${scalars.toLocaleString()} scalars, ${(size / 1e6).toFixed(1)} MB event file`);

  for (let round = 1; round <= 3; round++) {
    defaultTensorboardCache.clear();
    let t0 = process.hrtime.bigint();
    const runs = await listWorkspaceRuns(ws);
    const listMs = ms(t0);
    const run = runs.find((r) => r.source === 'tensorboard');
    t0 = process.hrtime.bigint();
    const series = await readRunMetrics(ws, run);
    const readMs = ms(t0);
    t0 = process.hrtime.bigint();
    const packed = packSeries(series.values());
    for (const s of packed) alignCurves([normalizeCurve(s.steps, s.values)], 800); // one chart per metric, 800 px wide
    const packMs = ms(t0);
    const points = [...series.values()].reduce((n, s) => n + s.values.length, 0);
    // A live run: 1,000 more scalars appended, read again (only the new bytes are parsed).
    const more = [];
    for (let i = scalars; i < scalars + 1000; i++) more.push(record(event(1732000000 + i * 0.01, i >> 2, tags[i & 3], rand())));
    appendFileSync(file, Buffer.concat(more));
    t0 = process.hrtime.bigint();
    const again = await readRunMetrics(ws, run);
    const incMs = ms(t0);
    const after = [...again.values()].reduce((n, s) => n + s.values.length, 0);
    defaultTensorboardCache.clear();
    t0 = process.hrtime.bigint();
    const full = await listWorkspaceRuns(ws, { tensorboardSummaryBytes: Infinity });
    const cliMs = ms(t0);
    console.log(
      `round ${round}: list ${listMs.toFixed(0)} ms (goal <= 500) | read ${points.toLocaleString()} points ${readMs.toFixed(0)} ms + pack/downsample ${packMs.toFixed(0)} ms = ${(readMs + packMs).toFixed(0)} ms (goal <= 1000) | +1,000 appended read in ${incMs.toFixed(1)} ms (${after.toLocaleString()} points) | list with summaries (mlw runs) ${cliMs.toFixed(0)} ms, ${Object.keys(full.find((r) => r.source === 'tensorboard').metrics ?? {}).length} metrics`,
    );
  }
} finally {
  rmSync(ws, { recursive: true, force: true });
}
