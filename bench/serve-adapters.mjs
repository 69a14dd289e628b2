#!/usr/bin/env node
/**
 * p50 overhead of each protocol adapter over the OIP route, same server, same model, same rows. Run by hand after
 * `npx tsc -p tsconfig.test.json`:  node bench/serve-adapters.mjs [--requests 3000]
 * One child server (out/src/core/serve/main.js, access log off) per platform contract (SageMaker, Vertex AI, Azure
 * ML); TF Serving is measured on the SageMaker one. Requests alternate between the two routes (interleaved, keep-alive,
 * concurrency 1); latency is hrtime around each request. Model: the torch-exported mlp fixture (16 -> 64 -> 4).
 * Goal: each adapter adds <= 0.1 ms p50.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { torchModel } = require(path.join(root, 'out/test/system/serve/fixtures.js'));
const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' } } });
const N = Number(values.requests);
const MAIN = path.join(root, 'out/src/core/serve/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-adapters-'));
const model = path.join(dir, 'mlp.onnx');
copyFileSync(torchModel('mlp'), model);

const rows = [Array.from({ length: 16 }, (_, i) => Math.fround(Math.sin(i)))];
const oipBody = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 16], data: rows.flat() }] });
const instancesBody = JSON.stringify({ instances: rows });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url, body) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`${url}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function start(args, env) {
  const child = spawn(process.execPath, [MAIN, ...args, '--access-log', 'off'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      const e = JSON.parse(l);
      if (e.event === 'ready') resolve(e.url);
    });
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { child, url };
}

const p50 = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function compare(label, oip, adapter) {
  for (let i = 0; i < 300; i++) (await post(oip[0], oip[1]), await post(adapter[0], adapter[1])); // warm-up
  const a = [];
  const b = [];
  for (let i = 0; i < N; i++) {
    if (i % 2) (a.push(await post(oip[0], oip[1])), b.push(await post(adapter[0], adapter[1])));
    else (b.push(await post(adapter[0], adapter[1])), a.push(await post(oip[0], oip[1])));
  }
  const over = (p50(b) - p50(a)) * 1000;
  console.log(
    `${label.padEnd(34)} OIP p50 ${p50(a).toFixed(3)} ms  adapter p50 ${p50(b).toFixed(3)} ms  overhead ${over.toFixed(1)} us  ${over <= 100 ? 'ok' : 'OVER GOAL'}`,
  );
}

const port = String(20000 + Math.floor(Math.random() * 20000));
const runs = [
  [
    'SageMaker /invocations (OIP body)',
    ['serve'],
    { MLW_SAGEMAKER_MODEL_DIR: dir, SAGEMAKER_BIND_TO_PORT: port, MLW_HOST: '127.0.0.1' },
    '/invocations',
    oipBody,
  ],
  [
    'SageMaker /invocations (instances)',
    ['serve'],
    { MLW_SAGEMAKER_MODEL_DIR: dir, SAGEMAKER_BIND_TO_PORT: port, MLW_HOST: '127.0.0.1' },
    '/invocations',
    instancesBody,
  ],
  [
    'TF Serving :predict (instances)',
    ['serve'],
    { MLW_SAGEMAKER_MODEL_DIR: dir, SAGEMAKER_BIND_TO_PORT: port, MLW_HOST: '127.0.0.1' },
    '/v1/models/mlp:predict',
    instancesBody,
  ],
  [
    'Vertex AI predict route (instances)',
    [model],
    { AIP_HTTP_PORT: port, AIP_PREDICT_ROUTE: '/predict', AIP_HEALTH_ROUTE: '/health', MLW_HOST: '127.0.0.1' },
    '/predict',
    instancesBody,
  ],
  ['Azure ML /score (OIP body)', [model], { AZUREML_MODEL_DIR: dir, MLW_AZUREML_PORT: port, MLW_HOST: '127.0.0.1' }, '/score', oipBody],
];
console.log(`${N} requests per route, interleaved, concurrency 1, one row of 16 FP32; node ${process.version}`);
try {
  for (const [label, args, env, route, body] of runs) {
    const { child, url } = await start(args, env);
    try {
      await compare(label, [`${url}/v2/models/mlp/infer`, oipBody], [url + route, body]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
} finally {
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
