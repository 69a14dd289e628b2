/**
 * Dynamic batching on the real server with torch-exported models: concurrent answers equal per-request in-process
 * session.run results, the batch-size metric shows batches > 1, requests of different widths never share a run,
 * a model whose outputs do not follow the batch is detected, and batching off runs every request alone.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { startServer, type RunningServer } from '../../../src/core/serve/startServer';
import type { Logger } from '../../../src/core/logger';
import { needs, pythonHas } from '../../support/requires';
import { destroyAgent, postJson, request, torchModel } from './fixtures';

const HAS_TORCH = pythonHas('torch') && pythonHas('onnx');
const warnings: string[] = [];
const logger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m) => warnings.push(String(m)),
  error: (m) => warnings.push(String(m)),
};
const servers: RunningServer[] = [];

const ready = (t: TestContext) => needs(t, 'python3-torch and python3-onnx', HAS_TORCH, 'apt-get install python3-torch python3-onnx');

async function start(maxBatchSize: number): Promise<RunningServer> {
  const s = await startServer(
    {
      models: [
        { name: 'mlp', path: torchModel('mlp') },
        { name: 'scale', path: torchModel('scale') },
        { name: 'firstrow', path: torchModel('firstrow') },
      ],
      port: 0,
      maxBatchSize,
      maxQueueDelayMs: 5,
    },
    logger,
  );
  servers.push(s);
  return s;
}

after(async () => {
  for (const s of servers) await s.close();
  destroyAgent();
});

let seed = 7;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;

/** Prometheus histogram buckets of one series: le -> cumulative count. */
function buckets(text: string, name: string, model: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${name}_bucket\\{model="${model}",le="([^"]+)"\\} (\\d+)$`, 'gm');
  for (const m of text.matchAll(re)) out.set(m[1], Number(m[2]));
  return out;
}

async function concurrentMlp(url: string, n: number) {
  const session = await ort.InferenceSession.create(torchModel('mlp'));
  const reqs = Array.from({ length: n }, (_, i) => {
    const rows = 1 + (i % 3);
    return { rows, data: Array.from({ length: rows * 16 }, rand) };
  });
  const answers = await Promise.all(
    reqs.map((r, i) =>
      postJson(`${url}/v2/models/mlp/infer`, {
        id: String(i),
        inputs: [{ name: 'input', shape: [r.rows, 16], datatype: 'FP32', data: r.data }],
      }),
    ),
  );
  for (let i = 0; i < n; i++) {
    const a = answers[i];
    assert.equal(a.status, 200, a.body.toString());
    assert.equal(a.json.id, String(i));
    const out = a.json.outputs[0];
    assert.deepEqual(out.shape, [reqs[i].rows, 4]);
    const expected = await session.run({ input: new ort.Tensor('float32', Float32Array.from(reqs[i].data), [reqs[i].rows, 16]) });
    const e = expected.logits.data as Float32Array;
    out.data.forEach((v: number, k: number) =>
      assert.ok(Math.abs(v - e[k]) <= 1e-5 * Math.max(1, Math.abs(e[k])), `request ${i} element ${k}: ${v} vs ${e[k]}`),
    );
  }
  await session.release();
}

test('concurrent requests are batched; answers equal per-request in-process session.run', async (t) => {
  if (!ready(t)) return;
  const { url } = await start(32);
  await concurrentMlp(url, 96);
  const metrics = (await request(`${url}/metrics`)).body.toString();
  const sizes = buckets(metrics, 'mlw_batch_size', 'mlp');
  const runs = sizes.get('+Inf')!;
  assert.ok(runs > 0);
  assert.ok(sizes.get('1')! < runs, `some runs merged more than one request: ${JSON.stringify([...sizes])}`);
  const rows = buckets(metrics, 'mlw_batch_rows', 'mlp');
  assert.equal(rows.get('32'), rows.get('+Inf'), 'no run exceeds maxBatchSize rows');
  const stats = (await request(`${url}/v2/models/mlp/stats`)).json;
  assert.equal(stats.batching.enabled, true);
  assert.equal(stats.inference_stats.success, 96);
  assert.ok(stats.inference_stats.runs < 96, `runs ${stats.inference_stats.runs}`);
  assert.equal(stats.inference_stats.rows, 96 + 96);
  assert.ok(stats.inference_stats.inference_ms_total > 0 && stats.inference_stats.queue_ms_total >= 0);
});

test('requests of different non-batch shapes run separately and stay correct', async (t) => {
  if (!ready(t)) return;
  const { url } = await start(32);
  const widths = Array.from({ length: 30 }, (_, i) => 2 + (i % 3));
  const xs = widths.map((w) => Array.from({ length: 2 * w }, (_, k) => k + w));
  const answers = await Promise.all(
    xs.map((x, i) =>
      postJson(`${url}/v2/models/scale/infer`, { inputs: [{ name: 'x', shape: [2, widths[i]], datatype: 'FP32', data: x }] }),
    ),
  );
  answers.forEach((a, i) => {
    assert.equal(a.status, 200);
    assert.deepEqual(a.json.outputs[0].shape, [2, widths[i]]);
    assert.deepEqual(
      a.json.outputs[0].data,
      xs[i].map((v) => 2 * v + 1),
    );
  });
  const stats = (await request(`${url}/v2/models/scale/stats`)).json;
  assert.ok(stats.inference_stats.runs >= 3, 'three widths need at least three runs');
});

test('a model whose outputs do not follow the batch turns batching off and answers each request alone', async (t) => {
  if (!ready(t)) return;
  const { url } = await start(32);
  const xs = Array.from({ length: 20 }, (_, i) => [i, i + 1, i + 2, i + 3, i + 10, i + 11, i + 12, i + 13]);
  const meta = (await request(`${url}/v2/models/firstrow`)).json;
  assert.deepEqual(meta.outputs[0].shape, [-1, 4], 'the output claims a batch axis');
  const answers = await Promise.all(
    xs.map((x) => postJson(`${url}/v2/models/firstrow/infer`, { inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: x }] })),
  );
  answers.forEach((a, i) => {
    assert.equal(a.status, 200);
    assert.deepEqual(a.json.outputs[0].shape, [1, 4]);
    assert.deepEqual(a.json.outputs[0].data, [i, i + 1, i + 2, i + 3]);
  });
  const stats = (await request(`${url}/v2/models/firstrow/stats`)).json;
  // 20 concurrent requests form a batch; its output has 1 row instead of 2 x n, so batching is switched off and
  // the batch is rerun request by request (hence more runs than requests).
  assert.equal(stats.batching.enabled, false);
  assert.ok(stats.inference_stats.runs > 20, `runs ${stats.inference_stats.runs}`);
  assert.ok(
    warnings.some((w) => /firstrow.*dynamic batching turned off: output 'y' has shape \[1,4\] for a batch of/.test(w)),
    warnings.join('\n'),
  );
});

test('with --max-batch 1 every run holds one request, answers are the same', async (t) => {
  if (!ready(t)) return;
  const { url } = await start(1);
  await concurrentMlp(url, 48);
  const sizes = buckets((await request(`${url}/metrics`)).body.toString(), 'mlw_batch_size', 'mlp');
  assert.equal(sizes.get('1'), sizes.get('+Inf'));
  assert.equal(sizes.get('+Inf'), 48);
  assert.equal((await request(`${url}/v2/models/mlp/stats`)).json.batching.enabled, false);
});
