// Figures for a team's MLflow tracking server (ML Workbench's endpoint started standalone, as `mlw mlflow-server` does):
// - push: a finished run with 100,000 metric points (3 metrics) and a 64 MB artifact, through runs/log-batch
//   (1,000 points per call) and the mlflow-artifacts upload; no goal in the issue, reported;
// - read back: the 100,000 points through metrics/get-history (25,000 per page), what a server run's dashboard reads;
// - list: 500 server runs through experiments/search + runs/search (1,000 per page), what `mlw runs` adds.
// Usage: node bench/mlflow-push.mjs [rounds]   (needs `npx tsc -p tsconfig.test.json` first)
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = (p) => require(path.join(repo, 'out/src', p));
const { RunStore } = out('core/runs/RunStore.js');
const { MetricsWriter } = out('core/runs/MetricsWriter.js');
const { readMetrics } = out('core/runs/readMetrics.js');
const { summarizeMetrics } = out('core/runs/summarizeMetrics.js');
const { fileRecord } = out('core/runs/hashFile.js');
const { startMlflowEndpoint } = out('core/mlflow/startMlflowEndpoint.js');
const { MlflowClient } = out('core/mlflow/client/MlflowClient.js');
const { pushRun } = out('core/mlflow/client/pushRun.js');
const { readServerRunMetrics } = out('core/mlflow/client/readServerRunMetrics.js');
const { listServerRuns } = out('core/mlflow/client/listServerRuns.js');
const rounds = Number(process.argv[2] ?? 3);

async function localRun(ws, points) {
  const store = new RunStore(ws);
  const run = await store.createRun({
    name: 'big',
    experiment: 'bench',
    status: 'finished',
    startTime: Date.now(),
    endTime: Date.now(),
    params: { lr: 0.1 },
  });
  const w = await MetricsWriter.open(path.join(store.runDir(run.id), 'metrics.jsonl'));
  const per = Math.floor(points / 3);
  for (const k of ['loss', 'acc', 'lr']) {
    for (let s = 0; s < per; s += 10_000)
      await w.append(
        Array.from({ length: Math.min(10_000, per - s) }, (_, i) => ({ k, v: Math.random(), s: s + i, t: 1_700_000_000_000 + s + i })),
      );
  }
  await w.close();
  writeFileSync(path.join(ws, 'model.bin'), Buffer.alloc(64 * 1024 * 1024, 7));
  run.artifacts = [await fileRecord('model.bin', ws)];
  run.metrics = summarizeMetrics((await readMetrics(store.runDir(run.id))).series);
  await store.writeRun(run);
  return { store, run, points: per * 3 };
}

const dirs = [];
const tmp = (p) => {
  const d = mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};
try {
  const ws = tmp('mlw-bench-push-local-');
  const { store, run, points } = await localRun(ws, 100_000);
  for (let r = 1; r <= rounds; r++) {
    const ep = await startMlflowEndpoint({ store: new RunStore(tmp('mlw-bench-push-server-')), token: 't' });
    const client = new MlflowClient({ url: ep.url, auth: { kind: 'token', token: 't' } });
    let t = performance.now();
    const res = await pushRun(client, run, { workspace: ws, store });
    const push = performance.now() - t;
    t = performance.now();
    const series = await readServerRunMetrics(
      { ...run, id: res.runId, source: 'mlflow-server', remote: { url: ep.url, experimentId: res.experimentId } },
      client,
    );
    const read = performance.now() - t;
    const readPoints = [...series.values()].reduce((n, s) => n + s.values.length, 0);
    // 500 small runs for the listing
    for (let i = 0; i < 499; i++) {
      const rr = await client.createRun({ experimentId: res.experimentId, runName: `r${i}` });
      await client.logBatch(rr.info.run_id, { metrics: [{ key: 'loss', value: i, timestamp: Date.now(), step: 0 }] });
      await client.updateRun(rr.info.run_id, 'FINISHED', Date.now());
    }
    t = performance.now();
    const listed = await listServerRuns(client);
    const list = performance.now() - t;
    console.log(
      `round ${r}: push ${points} points in ${res.batches} batches + 64 MB artifact: ${push.toFixed(0)} ms ` +
        `(${Math.round(points / (push / 1000))} points/s incl. upload); ` +
        `read back ${readPoints} points via get-history: ${read.toFixed(0)} ms; list ${listed.length} server runs: ${list.toFixed(0)} ms`,
    );
    await ep.close();
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
