#!/usr/bin/env node
/**
 * Model server throughput and robustness, against 127.0.0.1 only. Run by hand after `npx tsc -p tsconfig.test.json`:
 *   node bench/serve-throughput.mjs [--only a,b,c]
 *
 * The server runs as a child process (out/src/core/serve/main.js, access log off) so that it does not share an event
 * loop with the load generator. Models are torch-exported fixtures (test/system/serve/fixtures.ts), made with
 * /usr/bin/python3 on first use:
 *   mlp:  16 -> 64 -> 4 MLP, about 20 us per session.run
 *   wide: 256 -> 1024 -> 1024 -> 10 MLP, about 0.7 ms per row
 *
 * (a) concurrency 1: server throughput vs an in-process session.run loop (goal >= 85 %), and the latency the server
 *     adds at p99 (goal <= 1 ms). Latencies come from our own keep-alive client loop with hrtime (autocannon's
 *     histogram has 1 ms resolution), so they include the client's own HTTP cost. A no-op Node http server is
 *     measured alongside: no Node HTTP server can beat it, which bounds what (a) can reach for a tiny model; so is a
 *     minimal Node HTTP server that runs one session.run per request and nothing else ("node + run").
 * (b) concurrency 32: dynamic batching on (--max-batch 32) vs off (--max-batch 1) (goal >= 2x).
 * (c) 10,000 requests, 10 % malformed (10 kinds): zero 5xx, server alive, RSS before and after.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const autocannon = require('autocannon');
const ort = require('onnxruntime-node');
const { torchModel } = require(path.join(root, 'out/test/system/serve/fixtures.js'));
const MAIN = path.join(root, 'out/src/core/serve/main.js');

const { values } = parseArgs({ options: { only: { type: 'string', default: 'a,b,c' } } });
const ONLY = new Set(values.only.split(','));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Starts the server child process; resolves with its URL, pid and a stop function. */
async function startChild(args) {
  const child = spawn(process.execPath, [MAIN, ...args, '--port', '0', '--access-log', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const lines = readline.createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    lines.on('line', (l) => {
      const e = JSON.parse(l);
      if (e.event === 'ready') resolve(e.url);
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
  const exited = new Promise((r) => child.on('exit', r));
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function inferBody(width, rows = 1, seed = 1) {
  let s = seed;
  const data = Array.from({ length: rows * width }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
  return { data, body: JSON.stringify({ inputs: [{ name: 'input', shape: [rows, width], datatype: 'FP32', data }] }) };
}

async function cannon(opts) {
  return autocannon({ method: 'POST', headers: { 'content-type': 'application/json' }, pipelining: 1, ...opts });
}

/** Closed-loop latency of one keep-alive client: per-request hrtime in microseconds. */
async function clientLatency(url, body, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const lat = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  agent.destroy();
  return lat.sort((a, b) => a - b);
}

/** The in-process baseline: session.run in a loop on the same input, for `seconds`. */
async function inProcess(session, x, seconds) {
  const lat = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    await session.run({ input: x });
    lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return { rps: lat.length / seconds, lat };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A no-op Node http server in a child process: the ceiling of any Node HTTP server on this machine. */
async function startBare() {
  const code = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'Content-Type':'application/json','Content-Length':2});s.end('{}')})}).listen(0,'127.0.0.1',function(){console.log(JSON.stringify({event:'ready',url:'http://127.0.0.1:'+this.address().port}))})`;
  return startScript(code, []);
}

/**
 * The least a Node HTTP server that runs the model can do: read the body, one session.run on a fixed tensor, write
 * the outputs as a JSON array. No parsing, validation, batching, metrics or drift: the ceiling of what (a) can reach.
 */
async function startBareOrt(model, width) {
  const code = `const ort=require(process.argv[1]);(async()=>{const s=await ort.InferenceSession.create(process.argv[2],{logSeverityLevel:3,graphOptimizationLevel:'all'});const x=new ort.Tensor('float32',new Float32Array(${width}).fill(0.1),[1,${width}]);require('http').createServer((q,r)=>{q.resume();q.on('end',async()=>{const o=await s.run({input:x});const b=JSON.stringify(Array.from(o.logits.data));r.writeHead(200,{'Content-Type':'application/json','Content-Length':Buffer.byteLength(b)});r.end(b)})}).listen(0,'127.0.0.1',function(){console.log(JSON.stringify({event:'ready',url:'http://127.0.0.1:'+this.address().port}))})})()`;
  return startScript(code, [require.resolve('onnxruntime-node'), model]);
}

async function startScript(code, args) {
  const child = spawn(process.execPath, ['-e', code, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) =>
    readline.createInterface({ input: child.stdout }).on('line', (l) => resolve(JSON.parse(l).url)),
  );
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * The machine is shared, so load from other processes comes and goes: every figure is the median of ROUNDS
 * one-second slices, and the slices of what is compared are interleaved.
 */
const ROUNDS = 5;

async function benchA() {
  console.log(`\n(a) concurrency 1: server vs in-process session.run (median of ${ROUNDS} interleaved 1 s slices each)`);
  const bare = await startBare();
  try {
    for (const [name, width] of [
      ['mlp', 16],
      ['wide', 256],
    ]) {
      const model = torchModel(name);
      const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3, graphOptimizationLevel: 'all' });
      const x = new ort.Tensor('float32', Float32Array.from(inferBody(width).data), [1, width]);
      for (let i = 0; i < 200; i++) await session.run({ input: x });
      const server = await startChild([`${name}=${model}`]);
      const bareOrt = await startBareOrt(model, width);
      try {
        const url = `${server.url}/v2/models/${name}/infer`;
        const { body } = inferBody(width);
        await cannon({ url, body, connections: 1, duration: 1 }); // warm-up
        await cannon({ url: bareOrt.url, body, connections: 1, duration: 1 });
        const rows = { base: [], baseP99: [], srv: [], srvP50: [], srvP99: [], bare: [], bareOrt: [], ratio: [], added: [] };
        for (let r = 0; r < ROUNDS; r++) {
          const base = await inProcess(session, x, 1);
          const srv = await cannon({ url, body, connections: 1, duration: 1 });
          const lat = await clientLatency(url, body, 1);
          const b = await cannon({ url: bare.url, body, connections: 1, duration: 1 });
          const bo = await cannon({ url: bareOrt.url, body, connections: 1, duration: 1 });
          const baseP99 = percentile(
            base.lat.sort((p, q) => p - q),
            0.99,
          );
          rows.base.push(base.rps);
          rows.baseP99.push(baseP99);
          rows.srv.push(srv.requests.average);
          rows.srvP50.push(percentile(lat, 0.5));
          rows.srvP99.push(percentile(lat, 0.99));
          rows.bare.push(b.requests.average);
          rows.bareOrt.push(bo.requests.average);
          rows.ratio.push(srv.requests.average / base.rps);
          rows.added.push(percentile(lat, 0.99) - baseP99);
        }
        const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]));
        console.log(`  ${name.padEnd(5)} in-process  ${fmt(m.base)} runs/s (p99 ${fmt(m.baseP99)} us)`);
        console.log(
          `        server      ${fmt(m.srv)} req/s = ${fmt(m.ratio * 100, 1)} % of in-process (goal >= 85 %); slices: ${rows.ratio.map((v) => fmt(v * 100)).join(', ')} %`,
        );
        console.log(
          `        bare node   ${fmt(m.bare)} req/s = ${fmt((m.bare / m.base) * 100, 1)} % of in-process (no-op http server: the ceiling of any Node HTTP server here); server = ${fmt((m.srv / m.bare) * 100, 1)} % of it`,
        );
        console.log(
          `        node + run  ${fmt(m.bareOrt)} req/s = ${fmt((m.bareOrt / m.base) * 100, 1)} % of in-process (http + one session.run, nothing else); server = ${fmt((m.srv / m.bareOrt) * 100, 1)} % of it`,
        );
        console.log(
          `        latency     p50 ${fmt(m.srvP50)} us, p99 ${fmt(m.srvP99)} us (client-measured) -> added p99 ${fmt(m.added)} us (goal <= 1000 us)`,
        );
      } finally {
        await server.stop();
        bareOrt.stop();
        await session.release();
      }
    }
  } finally {
    bare.stop();
  }
}

async function benchB() {
  console.log(`\n(b) concurrency 32: dynamic batching vs off (median of ${ROUNDS} interleaved 1 s slices each)`);
  for (const [name, width] of [
    ['wide', 256],
    ['mlp', 16],
  ]) {
    const model = torchModel(name);
    const on = await startChild([`${name}=${model}`, '--max-batch', '32', '--max-delay-ms', '2']);
    const off = await startChild([`${name}=${model}`, '--max-batch', '1']);
    try {
      const { body } = inferBody(width);
      const res = { on: [], off: [], onP99: [], offP99: [], ratio: [] };
      for (const s of [on, off]) await cannon({ url: `${s.url}/v2/models/${name}/infer`, body, connections: 32, duration: 1 });
      for (let r = 0; r < ROUNDS; r++) {
        const a = await cannon({ url: `${on.url}/v2/models/${name}/infer`, body, connections: 32, duration: 1 });
        const b = await cannon({ url: `${off.url}/v2/models/${name}/infer`, body, connections: 32, duration: 1 });
        if (a.non2xx || b.non2xx || a.errors || b.errors)
          console.log(`  !! non-2xx ${a.non2xx}/${b.non2xx}, errors ${a.errors}/${b.errors}`);
        res.on.push(a.requests.average);
        res.off.push(b.requests.average);
        res.onP99.push(a.latency.p99);
        res.offP99.push(b.latency.p99);
        res.ratio.push(a.requests.average / b.requests.average);
      }
      const metrics = await fetch(`${on.url}/metrics`).then((x) => x.text());
      const count = Number(new RegExp(`mlw_batch_size_count\\{model="${name}"\\} (\\d+)`).exec(metrics)?.[1]);
      const sum = Number(new RegExp(`mlw_batch_size_sum\\{model="${name}"\\} (\\d+)`).exec(metrics)?.[1]);
      console.log(
        `  ${name.padEnd(5)} batching on  ${fmt(median(res.on))} req/s, p99 ${median(res.onP99)} ms, mean batch ${fmt(sum / count, 1)} requests`,
      );
      console.log(`  ${name.padEnd(5)} batching off ${fmt(median(res.off))} req/s, p99 ${median(res.offP99)} ms`);
      console.log(
        `  ${name.padEnd(5)} speed-up     ${fmt(median(res.ratio), 2)}x (goal >= 2x); slices: ${res.ratio.map((v) => fmt(v, 2)).join(', ')}`,
      );
    } finally {
      await on.stop();
      await off.stop();
    }
  }
}

async function benchC() {
  console.log('\n(c) 10,000 requests, 10 % malformed, 8 connections');
  const model = torchModel('mlp');
  const server = await startChild([`mlp=${model}`, '--body-limit', '64kb']);
  try {
    const url = `${server.url}/v2/models/mlp/infer`;
    const good = inferBody(16).body;
    const row = inferBody(16).data;
    const bad = [
      '{"inputs": [',
      '[]',
      JSON.stringify({ inputs: [{ name: 'nope', shape: [1, 16], datatype: 'FP32', data: row }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP64', data: row }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 15], datatype: 'FP32', data: row.slice(1) }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [2, 16], datatype: 'FP32', data: row }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: [...row.slice(1), 'x'] }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', parameters: { binary_data_size: 64 } }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: row }], outputs: [{ name: 'nope' }] }),
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: new Array(20_000).fill(1) }] }), // 413
    ];
    const requests = [];
    for (let i = 0; i < 100; i++)
      requests.push({
        method: 'POST',
        path: '/v2/models/mlp/infer',
        headers: { 'content-type': 'application/json' },
        body: i % 10 === 9 ? bad[(i - 9) / 10] : good,
      });
    await cannon({ url, body: good, connections: 8, amount: 500 }); // warm-up
    const before = rssMiB(server.pid);
    const r = await cannon({ url: server.url, connections: 8, amount: 10_000, requests });
    const after = rssMiB(server.pid);
    const live = await fetch(`${server.url}/v2/health/live`).then((x) => x.status);
    const ok = await fetch(url, { method: 'POST', body: good }).then((x) => x.status);
    const codes = Object.entries(r.statusCodeStats)
      .map(([c, s]) => `${c}: ${s.count}`)
      .join(', ');
    console.log(
      `  sent ${fmt(r.requests.total)} in ${fmt(r.duration, 1)} s: ${codes}; 5xx ${r['5xx']}, errors ${r.errors}, timeouts ${r.timeouts}`,
    );
    console.log(
      `  after: /v2/health/live ${live}, a valid infer ${ok}; server RSS ${fmt(before, 1)} MiB before, ${fmt(after, 1)} MiB after`,
    );
  } finally {
    await server.stop();
  }
}

console.log(
  `node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, onnxruntime-node ${require('onnxruntime-node/package.json').version}`,
);
if (ONLY.has('a')) await benchA();
if (ONLY.has('b')) await benchB();
if (ONLY.has('c')) await benchC();
