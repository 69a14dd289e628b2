#!/usr/bin/env node
/**
 * What request capture costs a request: p50 latency with capture off vs --capture 0.1 (goal: ratio <= 1.05).
 * Run by hand after `npm run compile-tests`:
 *   node bench/serve-capture.mjs [--rounds 8] [--requests 2000] [--rows 4] [--concurrency 1]
 *
 * Two server child processes (out/src/core/serve/main.js, access log off) serve the same torch-exported MLP
 * (16 -> 64 -> 4, test/system/serve/fixtures.ts): A without capture, B with --capture 0.1 into a temporary folder.
 * Each round sends the same requests to A then B (B then A on odd rounds) from keep-alive clients that time every
 * request with hrtime; the figure is the median over rounds of p50(B) / p50(A). The tiny model is the worst case:
 * the capture's share of a request grows as the model's own time shrinks.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
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
const MAIN = path.join(root, 'out/src/core/serve/main.js');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    requests: { type: 'string', default: '2000' },
    rows: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '1' },
    rate: { type: 'string', default: '0.1' },
  },
});
const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);
const ROWS = Number(values.rows);
const CONCURRENCY = Number(values.concurrency);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function startChild(args) {
  const child = spawn(process.execPath, [MAIN, ...args, '--port', '0', '--access-log', 'off', '--drift-dir', 'off'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function bodies(n) {
  let s = 7;
  return Array.from({ length: n }, () => {
    const data = Array.from({ length: ROWS * 16 }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
    return JSON.stringify({ inputs: [{ name: 'input', shape: [ROWS, 16], datatype: 'FP32', data }] });
  });
}

function post(url, agent, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Per-request latencies (us) of CONCURRENCY keep-alive clients sending every body once between them. */
async function round(server, list) {
  const url = `${server.url}/v2/models/mlp/infer`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const lat = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < list.length) {
        const body = list[next++];
        const t0 = process.hrtime.bigint();
        await post(url, agent, body);
        lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }),
  );
  agent.destroy();
  return lat.sort((a, b) => a - b);
}

async function stats(server) {
  const res = await fetch(`${server.url}/v2/models/mlp/stats`);
  return (await res.json()).capture;
}

const model = torchModel('mlp');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-capture-'));
const off = await startChild(['--model', `mlp=${model}`]);
const on = await startChild(['--model', `mlp=${model}`, '--capture', values.rate, '--capture-dir', dir]);
try {
  const list = bodies(REQUESTS);
  // Warm both (JIT, ORT arenas, sockets).
  await round(off, list.slice(0, 500));
  await round(on, list.slice(0, 500));
  const ratios = [];
  const rows = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [off, on] : [on, off];
    const got = new Map();
    for (const s of order) got.set(s, await round(s, list));
    const a = got.get(off);
    const b = got.get(on);
    const ratio = pct(b, 0.5) / pct(a, 0.5);
    ratios.push(ratio);
    rows.push({
      round: r + 1,
      off_p50_us: pct(a, 0.5),
      capture_p50_us: pct(b, 0.5),
      ratio,
      off_p99_us: pct(a, 0.99),
      capture_p99_us: pct(b, 0.99),
    });
  }
  const c = await stats(on);
  await on.stop();
  const files = c.enabled ? readdirSync(path.join(dir, 'mlp')) : [];
  const bytes = files.reduce((n, f) => n + statSync(path.join(dir, 'mlp', f)).size, 0);
  console.log(
    `model mlp (16 -> 64 -> 4), ${ROWS} rows a request, JSON, concurrency ${CONCURRENCY}, ${REQUESTS} requests a round per server`,
  );
  console.log('round  off p50 us  capture p50 us  ratio   off p99 us  capture p99 us');
  for (const x of rows)
    console.log(
      `${String(x.round).padStart(5)}  ${x.off_p50_us.toFixed(1).padStart(10)}  ${x.capture_p50_us.toFixed(1).padStart(14)}  ${x.ratio.toFixed(3)}  ${x.off_p99_us.toFixed(1).padStart(11)}  ${x.capture_p99_us.toFixed(1).padStart(14)}`,
    );
  const m = median(ratios);
  const sent = REQUESTS * ROUNDS + 500;
  if (c.enabled)
    console.log(
      `captured ${c.captured} of ${sent} requests (${((100 * c.captured) / sent).toFixed(1)} %), dropped ${JSON.stringify(c.dropped)}, ${files.length} files, ${(bytes / 2 ** 20).toFixed(2)} MB`,
    );
  console.log(`median p50 ratio capture 10 % / off: ${m.toFixed(3)} (goal <= 1.05: ${m <= 1.05 ? 'met' : 'NOT met'})`);
} finally {
  await off.stop();
  await on.stop();
  rmSync(dir, { recursive: true, force: true });
}
