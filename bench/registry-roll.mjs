#!/usr/bin/env node
/**
 * A promotion roll under a steady 50 req/s (goals: zero failed requests; p99 during the roll <= 2x the steady p99).
 * Run by hand after `npm run build && npm run compile-tests`:
 *   node bench/registry-roll.mjs [--rounds 6] [--rate 50] [--container]
 *
 * A workspace registry holds two versions of the `wide` torch fixture (256 -> 1024 -> 1024 -> 10 MLP, ~5 MB, about
 * 0.7 ms per row; version 2 is the same graph with another model_version, so other bytes). The endpoint serves
 * clf@champion: a local server (`mlw serve clf@champion`, default) or, with --container, a container behind its front
 * proxy on a real throwaway engine (test/harness/dockerEngine.mjs). An open-loop client sends one request every
 * 1000/rate ms whatever the answers (so a stall shows as latency, not as fewer requests). Rounds interleave a
 * steady window (4 s) and a roll window (`mlw registry promote clf 2`, then `rollback`, alternately, from its start
 * until 1 s after the command exits); each request counts in the window it was sent in. A control window runs
 * `mlw registry list` the same way, to tell the cost of starting a CLI process on a busy machine from the roll's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MLW = path.join(root, 'dist', 'mlw.js');
const { torchModel } = require(path.join(root, 'out/test/system/serve/fixtures.js'));
const ort = require('onnxruntime-node');

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '6' }, rate: { type: 'string', default: '50' }, container: { type: 'boolean' } },
});
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function mlw(ws, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MLW, '--workspace', ws, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const ws = mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-roll-'));
let engine;
let server;
const cleanups = [];
try {
  const wide = torchModel('wide');
  const a = path.join(ws, 'wide_a.onnx');
  const b = path.join(ws, 'wide_b.onnx');
  writeFileSync(a, readFileSync(wide));
  writeFileSync(b, Buffer.concat([readFileSync(wide), Buffer.from([0x28, 2])])); // model_version = 2: other bytes
  const s = await ort.InferenceSession.create(a);
  const inputName = s.inputNames[0];
  await s.release();
  let env = process.env;
  for (const args of [
    ['registry', 'register', a, '--name', 'clf', '--alias', 'champion'],
    ['registry', 'register', b, '--name', 'clf'],
  ]) {
    const r = await mlw(ws, args);
    if (r.code !== 0) throw new Error(r.out);
  }
  let url;
  if (values.container) {
    const { startDockerEngine } = await import(path.join(root, 'test/harness/dockerEngine.mjs'));
    engine = await startDockerEngine({ needRegistry: false });
    env = { ...process.env, DOCKER_HOST: engine.dockerHost };
    const r = await mlw(ws, ['deploy', 'local', 'clf@champion', '--base-image', engine.baseImage, '--json'], env);
    if (r.code !== 0) throw new Error(r.out);
    url = JSON.parse(r.out.slice(r.out.indexOf('{\n'))).endpoint;
    cleanups.push(() => mlw(ws, ['deploy', 'stop', 'clf@champion'], env));
  } else {
    server = spawn(process.execPath, [MLW, '--workspace', ws, 'serve', 'clf@champion', '--port', '0', '--access-log', 'off'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise((resolve, reject) => {
      let buf = '';
      server.stdout.on('data', (c) => {
        buf += c;
        const m = /"event":"ready","url":"([^"]+)"/.exec(buf);
        if (m) resolve(m[1]);
      });
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      setTimeout(() => reject(new Error('server not ready in 30 s')), 30_000).unref();
    });
  }
  const what = values.container ? 'container behind its front proxy (blue/green)' : 'local server (mlw serve clf@champion)';
  console.log(`registry-roll: ${what}, ${RATE} req/s open loop, ${ROUNDS} rounds of 4 s steady + a roll window`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const body = JSON.stringify({
    inputs: [{ name: inputName, datatype: 'FP32', shape: [1, 256], data: Array.from({ length: 256 }, (_, i) => Math.sin(i)) }],
  });
  const samples = []; // { window, ms, ok }
  let window = 'warmup';
  const send = () => {
    const w = window;
    const t0 = performance.now();
    const req = http.request(
      `${url}/v2/models/clf/infer`,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => samples.push({ window: w, ms: performance.now() - t0, ok: res.statusCode === 200, status: res.statusCode }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => samples.push({ window: w, ms: performance.now() - t0, ok: false, status: e.message }));
    req.end(body);
  };
  const start = performance.now();
  let n = 0;
  let running = true;
  const ticker = (async () => {
    while (running) {
      send();
      n++;
      const next = start + (n * 1000) / RATE;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();

  await sleep(2000);
  const rolls = [];
  for (let i = 0; i < ROUNDS; i++) {
    window = 'steady';
    await sleep(4000);
    // Control: the same kind of CLI process that moves nothing (a node start on this 2-core machine costs CPU too).
    window = 'control';
    await mlw(ws, ['registry', 'list'], env);
    await sleep(1000);
    window = 'steady';
    await sleep(1000);
    window = 'roll';
    const t0 = performance.now();
    const r = await mlw(ws, i % 2 === 0 ? ['registry', 'promote', 'clf', '2'] : ['registry', 'rollback', 'clf'], env);
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(r.out);
    const rolled = r.out.split('\n').find((l) => l.startsWith('rolled'));
    rolls.push({ ms, line: rolled ?? '(no roll line)' });
    await sleep(1000);
  }
  window = 'done';
  running = false;
  await ticker;
  await sleep(1500);
  agent.destroy();

  const pct = (xs, p) => {
    const s = [...xs].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const stats = (w) => {
    const xs = samples.filter((s) => s.window === w);
    const ok = xs.filter((s) => s.ok).map((s) => s.ms);
    return {
      n: xs.length,
      failed: xs.length - ok.length,
      p50: pct(ok, 50),
      p99: pct(ok, 99),
      max: Math.max(...ok),
      statuses: [...new Set(xs.filter((s) => !s.ok).map((s) => s.status))],
    };
  };
  const st = stats('steady');
  const ro = stats('roll');
  for (const r of rolls) console.log(`  roll command ${r.ms.toFixed(0)} ms: ${r.line}`);
  const row = (name, x) =>
    console.log(
      `  ${name.padEnd(7)} requests ${String(x.n).padStart(5)}  failed ${x.failed}${x.statuses.length ? ` ${x.statuses.join(',')}` : ''}  p50 ${x.p50.toFixed(2)} ms  p99 ${x.p99.toFixed(2)} ms  max ${x.max.toFixed(2)} ms`,
    );
  row('steady', st);
  row('control', stats('control'));
  row('roll', ro);
  const totalFailed = samples.filter((s) => !s.ok).length;
  console.log(`  failed requests in all: ${totalFailed} (goal 0) ${totalFailed === 0 ? 'PASS' : 'FAIL'}`);
  console.log(`  p99 roll / steady: ${(ro.p99 / st.p99).toFixed(2)}x (goal <= 2x) ${ro.p99 <= 2 * st.p99 ? 'PASS' : 'FAIL'}`);
} finally {
  for (const c of cleanups) await c();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  await engine?.stop();
  rmSync(ws, { recursive: true, force: true });
}
