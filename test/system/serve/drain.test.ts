/**
 * Graceful shutdown: the server as a child process (the process entry the extension and the container run) gets
 * SIGTERM with requests in flight; every one of them is answered 200, new connections are refused, and the process
 * exits 0. Then the same through close() in process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { startServer } from '../../../src/core/serve/startServer';
import type { AccessLogEntry } from '../../../src/core/serve/inferenceServer';
import { silentLogger } from '../../../src/core/logger';
import { needs, pythonHas } from '../../support/requires';
import { torchModel, type HttpResult } from './fixtures';

const HAS_TORCH = pythonHas('torch') && pythonHas('onnx');
// out/test/system/serve -> out/src/core/serve/main.js
const MAIN = path.resolve(__dirname, '../../../src/core/serve/main.js');

/** A request on its own connection (no keep-alive), so that "refused after close" is observable. */
function post(url: string, body: unknown): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/v2/models/slow/infer`,
      { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, json: JSON.parse(b.toString()) });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const input = (i: number, rows = 1) => ({
  id: `r${i}`,
  inputs: [{ name: 'input', shape: [rows, 16], datatype: 'FP32', data: new Array(16 * rows).fill(i / 10) }],
});

test('SIGTERM on the child process: in-flight requests finish, none lost, exit 0', { timeout: 60_000 }, async (t) => {
  if (!needs(t, 'python3-torch and python3-onnx', HAS_TORCH, 'apt-get install python3-torch python3-onnx')) return;
  const model = torchModel('slow');
  const child = spawn(process.execPath, [MAIN, `slow=${model}`, '--port', '0', '--max-batch', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const events: Record<string, unknown>[] = [];
  const lines = readline.createInterface({ input: child.stdout });
  const readyEvent = new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.on('line', (l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      events.push(e);
      if (e.event === 'ready') resolve(e);
    });
    child.on('exit', () => reject(new Error(`server exited early: ${stderr}`)));
  });
  try {
    const ready = await readyEvent;
    assert.equal(events[0].event, 'listening');
    const url = ready.url as string;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(events[0].url, url);

    // 16 requests of 8 rows, one run at a time (--max-batch 1): a few hundred ms of work.
    const pending = Array.from({ length: 16 }, (_, i) => post(url, input(i, 8)));
    // SIGTERM once the server has received all 16 (answered or in flight; the scrape itself counts as one in flight).
    let inflightAtTerm = 0;
    for (;;) {
      const m = await fetch(`${url}/metrics`).then((r) => r.text());
      const inflight = Number(/^mlw_inflight_requests (\d+)$/m.exec(m)?.[1] ?? 0) - 1;
      const done = Number(/^mlw_requests_total\{model="slow",code="200"\} (\d+)$/m.exec(m)?.[1] ?? 0);
      if (inflight + done >= 16) {
        inflightAtTerm = inflight;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGTERM');
    const results = await Promise.allSettled(pending);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : String(r.reason)));
    assert.deepEqual(statuses, new Array(16).fill(200), 'every in-flight request is answered');
    assert.ok(inflightAtTerm >= 1, `requests were in flight at SIGTERM (${inflightAtTerm})`);
    results.forEach((r, i) => assert.equal((r as PromiseFulfilledResult<HttpResult>).value.json.id, `r${i}`));
    assert.equal(await exited, 0, stderr);
    await assert.rejects(post(url, input(99)), /ECONNREFUSED/);
    const requests = events.filter((e) => e.event === 'request');
    assert.equal(requests.filter((e) => e.status === 200 && e.path === '/v2/models/slow/infer').length, 16);
    assert.equal(events[events.length - 1].event, 'closed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('close() in process drains: requests already in flight get 200, then the port is closed', { timeout: 60_000 }, async (t) => {
  if (!needs(t, 'python3-torch and python3-onnx', HAS_TORCH, 'apt-get install python3-torch python3-onnx')) return;
  const log: AccessLogEntry[] = [];
  const server = await startServer(
    { models: [{ name: 'slow', path: torchModel('slow') }], port: 0, maxBatchSize: 1, accessLog: (e) => log.push(e) },
    silentLogger,
  );
  // Client and server share this event loop, so a polling timer would only run between whole requests. Instead,
  // close() starts from inside the server, the moment the first request reaches its model: it is then in flight.
  const model = server.handler.models.get('slow')!;
  const infer = model.infer.bind(model);
  let closing: Promise<void> | undefined;
  let inflight = 0;
  model.infer = (req) => {
    if (!closing) {
      inflight = server.handler.inflightRequests;
      closing = server.close();
    }
    return infer(req);
  };
  let answered = 0;
  const pending = Array.from({ length: 10 }, (_, i) => post(server.url, input(i)).finally(() => answered++));
  while (!closing) await new Promise((r) => setTimeout(r, 1));
  assert.equal(server.handler.ready, false, 'not ready while draining');
  const results = await Promise.allSettled(pending);
  await closing;
  assert.ok(inflight >= 1);
  const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
  for (const r of results) {
    if (r.status === 'fulfilled') assert.equal(r.value.status, 200, 'an accepted request is never cut off or refused with an error');
    else assert.match(String(r.reason), /ECONNREFUSED|ECONNRESET/, 'a connection the server never accepted');
  }
  assert.ok(ok >= inflight, `${ok} answered, ${inflight} were in flight at close()`);
  assert.equal(answered, 10);
  // Every request the server saw was answered 200 and completely.
  assert.ok(log.length >= inflight);
  for (const e of log) assert.deepEqual([e.status, e.aborted], [200, undefined]);
  await assert.rejects(post(server.url, input(0)), /ECONNREFUSED/);
  await server.close(); // twice is fine
});
