#!/usr/bin/env node
/**
 * A promotion roll under a steady 50 req/s (goals: zero failed requests; p99 during the roll <= 2x the steady p99).
 * Run by hand after `npm run build && npm run compile-tests`:
 *   node bench/registry-roll.mjs [--rounds 6] [--rate 50] [--container] [--trace] [--baseline DIR]
 *
 * A workspace registry holds two versions of the `wide` torch fixture (256 -> 1024 -> 1024 -> 10 MLP, ~5 MB, about
 * 0.7 ms per row; version 2 is the same graph with another model_version, so other bytes). The endpoint serves
 * clf@champion: a local server (`mlw serve clf@champion`, default) or, with --container, a container behind its front
 * proxy on a real throwaway engine (test/harness/dockerEngine.mjs). An open-loop client sends one request every
 * 1000/rate ms whatever the answers (so a stall shows as latency, not as fewer requests). Rounds interleave a
 * steady window (4 s) and a roll window (`mlw registry promote clf 2`, then `rollback`, alternately, from its start
 * until 1 s after the command exits); each request counts in the window it was sent in. A control window runs
 * `mlw registry list` the same way, to tell the cost of starting a CLI process on a busy machine from the roll's.
 *
 * --baseline DIR: A/B in one run, for a noisy machine. DIR is another checkout built with `node esbuild.mjs` (e.g.
 * `git archive COMMIT | tar -x -C DIR; ln -s $PWD/node_modules DIR/; (cd DIR && node esbuild.mjs)`). Each variant
 * gets its own workspace and endpoint (and model name, so container images stay apart); every round runs both, in
 * alternating order, and each variant's ratio compares its own windows.
 * --trace: after the figures, each roll's slow requests (over 2x the steady p99) by send time from the roll
 * command's start, among the phases seen from outside (the server's rolled event; docker container events).
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
const { torchModel } = require(path.join(root, 'out/test/system/serve/fixtures.js'));
const ort = require('onnxruntime-node');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    rate: { type: 'string', default: '50' },
    container: { type: 'boolean' },
    trace: { type: 'boolean' },
    baseline: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function mlw(v, args, env = v.env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [v.mlw, '--workspace', v.ws, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Roll phases seen from outside, by performance.now(): a server's rolled event, docker events. */
const marks = [];
const variants = [
  ...(values.baseline ? [{ key: 'A', label: `baseline ${values.baseline}`, dir: path.resolve(values.baseline), model: 'clfbase' }] : []),
  { key: values.baseline ? 'B' : '', label: 'this build', dir: root, model: 'clf' },
].map((v) => ({
  ...v,
  mlw: path.join(v.dir, 'dist', 'mlw.js'),
  ws: mkdtempSync(path.join(os.tmpdir(), 'mlw-bench-roll-')),
  env: process.env,
}));
let engine;
let events;
const cleanups = [];
try {
  const wide = torchModel('wide');
  const s = await ort.InferenceSession.create(wide);
  const inputName = s.inputNames[0];
  await s.release();
  if (values.container) {
    const { startDockerEngine } = await import(path.join(root, 'test/harness/dockerEngine.mjs'));
    engine = await startDockerEngine({ needRegistry: false });
    for (const v of variants) v.env = { ...process.env, DOCKER_HOST: engine.dockerHost };
    if (values.trace) {
      events = spawn('docker', ['--host', engine.dockerHost, 'events', '--format', '{{json .}}'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let eb = '';
      events.stdout.on('data', (c) => {
        eb += c;
        let i;
        while ((i = eb.indexOf('\n')) >= 0) {
          const e = JSON.parse(eb.slice(0, i));
          eb = eb.slice(i + 1);
          if (e.Type !== 'container' || e.Action.startsWith('exec_')) continue;
          marks.push({
            t: e.timeNano / 1e6 - performance.timeOrigin,
            what: `container ${e.Actor?.Attributes?.name ?? e.id.slice(0, 12)} ${e.Action}`,
          });
        }
      });
    }
  }
  for (const v of variants) {
    const a = path.join(v.ws, 'wide_a.onnx');
    const b = path.join(v.ws, 'wide_b.onnx');
    writeFileSync(a, readFileSync(wide));
    writeFileSync(b, Buffer.concat([readFileSync(wide), Buffer.from([0x28, 2])])); // model_version = 2: other bytes
    for (const args of [
      ['registry', 'register', a, '--name', v.model, '--alias', 'champion'],
      ['registry', 'register', b, '--name', v.model],
    ]) {
      const r = await mlw(v, args);
      if (r.code !== 0) throw new Error(r.out);
    }
    if (values.container) {
      const r = await mlw(v, ['deploy', 'local', `${v.model}@champion`, '--base-image', engine.baseImage, '--json']);
      if (r.code !== 0) throw new Error(r.out);
      v.url = JSON.parse(r.out.slice(r.out.indexOf('{\n'))).endpoint;
      cleanups.push(() => mlw(v, ['deploy', 'stop', `${v.model}@champion`]));
    } else {
      const server = spawn(
        process.execPath,
        [v.mlw, '--workspace', v.ws, 'serve', `${v.model}@champion`, '--port', '0', '--access-log', 'off'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      cleanups.push(async () => {
        if (server.exitCode !== null) return;
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      });
      v.url = await new Promise((resolve, reject) => {
        let buf = '';
        server.stdout.on('data', (c) => {
          buf += c;
          for (const line of String(c).split('\n'))
            if (line.includes('"event":"rolled"')) marks.push({ t: performance.now(), what: `server rolled ${line}` });
          const m = /"event":"ready","url":"([^"]+)"/.exec(buf);
          if (m) resolve(m[1]);
        });
        server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
        setTimeout(() => reject(new Error('server not ready in 30 s')), 30_000).unref();
      });
    }
  }
  const what = values.container ? 'container behind its front proxy (blue/green)' : 'local server (mlw serve clf@champion)';
  console.log(`registry-roll: ${what}, ${RATE} req/s open loop, ${ROUNDS} rounds of 4 s steady + a roll window`);
  for (const v of variants) if (v.key) console.log(`  ${v.key}: ${v.label}`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const body = JSON.stringify({
    inputs: [{ name: inputName, datatype: 'FP32', shape: [1, 256], data: Array.from({ length: 256 }, (_, i) => Math.sin(i)) }],
  });
  const samples = []; // { variant, window, t0, ms, ok, status }
  let window = 'warmup';
  let active = variants[0];
  const send = () => {
    const w = window;
    const v = active;
    const t0 = performance.now();
    const done = (ok, status) => samples.push({ variant: v.key, window: w, t0, ms: performance.now() - t0, ok, status });
    const req = http.request(
      `${v.url}/v2/models/${v.model}/infer`,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        // A failure names its cause (the front proxy's 502 says why it could not reach the container).
        res.on('end', () => done(res.statusCode === 200, res.statusCode === 200 ? 200 : `${res.statusCode} ${text.slice(0, 200)}`));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => done(false, e.message));
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

  for (const v of variants) {
    active = v;
    await sleep(2000);
  }
  const rolls = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
      window = 'warmup';
      active = v;
      await sleep(500); // the client's connections to this endpoint open outside the windows
      window = 'steady';
      await sleep(4000);
      // Control: the same kind of CLI process that moves nothing (a node start on this 2-core machine costs CPU too).
      window = 'control';
      await mlw(v, ['registry', 'list']);
      await sleep(1000);
      window = 'steady';
      await sleep(1000);
      window = 'roll';
      const t0 = performance.now();
      const r = await mlw(v, i % 2 === 0 ? ['registry', 'promote', v.model, '2'] : ['registry', 'rollback', v.model]);
      const ms = performance.now() - t0;
      if (r.code !== 0) throw new Error(r.out);
      const rolled = r.out.split('\n').find((l) => l.startsWith('rolled'));
      rolls.push({ variant: v.key, t0, t1: t0 + ms, ms, line: rolled ?? '(no roll line)' });
      await sleep(1000);
    }
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
  const stats = (key, w) => {
    const xs = samples.filter((s) => s.variant === key && s.window === w);
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
  const row = (name, x) =>
    console.log(
      `  ${name.padEnd(9)} requests ${String(x.n).padStart(5)}  failed ${x.failed}${x.statuses.length ? ` ${x.statuses.join(',')}` : ''}  p50 ${x.p50.toFixed(2)} ms  p99 ${x.p99.toFixed(2)} ms  max ${x.max.toFixed(2)} ms`,
    );
  for (const v of variants) {
    const st = stats(v.key, 'steady');
    const ro = stats(v.key, 'roll');
    const tag = v.key ? `${v.key} ` : '';
    if (v.key) console.log(`  ${v.key}: ${v.label}`);
    for (const r of rolls.filter((x) => x.variant === v.key)) console.log(`    roll command ${r.ms.toFixed(0)} ms: ${r.line}`);
    row(`${tag}steady`, st);
    row(`${tag}control`, stats(v.key, 'control'));
    row(`${tag}roll`, ro);
    const failed = samples.filter((s) => s.variant === v.key && !s.ok).length;
    console.log(`  ${tag}failed requests in all: ${failed} (goal 0) ${failed === 0 ? 'PASS' : 'FAIL'}`);
    console.log(`  ${tag}p99 roll / steady: ${(ro.p99 / st.p99).toFixed(2)}x (goal <= 2x) ${ro.p99 <= 2 * st.p99 ? 'PASS' : 'FAIL'}`);
    if (values.trace) {
      for (const r of rolls.filter((x) => x.variant === v.key)) {
        console.log(`  ${tag}trace of the roll at ${(r.t0 - start).toFixed(0)} ms (command ${r.ms.toFixed(0)} ms):`);
        const lines = [
          ...marks.filter((m) => m.t >= r.t0 - 100 && m.t <= r.t1 + 1000).map((m) => ({ t: m.t, text: m.what })),
          { t: r.t1, text: 'roll command exited' },
          ...samples
            .filter(
              (x) => x.variant === v.key && x.window === 'roll' && x.t0 >= r.t0 && x.t0 <= r.t1 + 1000 && (!x.ok || x.ms > 2 * st.p99),
            )
            .map((x) => ({
              t: x.t0,
              text: `slow request ${x.ms.toFixed(1)} ms (answered at +${(x.t0 + x.ms - r.t0).toFixed(0)})${x.ok ? '' : ` FAILED ${x.status}`}`,
            })),
        ].sort((a, b) => a.t - b.t);
        for (const l of lines) console.log(`    +${(l.t - r.t0).toFixed(0).padStart(5)} ms  ${l.text}`);
      }
    }
  }
} finally {
  events?.kill();
  for (const c of cleanups) await c();
  await engine?.stop();
  for (const v of variants) rmSync(v.ws, { recursive: true, force: true });
}
