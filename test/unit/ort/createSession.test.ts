/**
 * Sessions with execution providers, for real: this machine has no GPU and onnxruntime-node without its CUDA
 * binaries, so asking for `cuda` really fails inside onnxruntime-node. Skipped where CUDA does load.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  benchmarkModel,
  createSession,
  ExecutionProviderError,
  makeTensor,
  OrtSessionError,
  probeExecutionProvider,
  tryModel,
} from '../../../src/core/ort';
import { probeModel } from '../../../src/core/ort/probeModel';
import { silentLogger } from '../../../src/core/logger';

let dir: string;
let model: string;
let cudaLoads = false;
/** The command the messages give: onnxruntime-node's own install script, which this checkout has. */
const INSTALL = `ONNXRUNTIME_NODE_INSTALL=cuda12 node ${require.resolve('onnxruntime-node/script/install.js')}`;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-ort-ep-'));
  model = path.join(dir, 'identity.onnx');
  writeFileSync(model, probeModel());
  cudaLoads = (await probeExecutionProvider('cuda')).loads;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const noCuda = (t: TestContext): boolean => {
  if (cudaLoads) t.skip('the CUDA provider loads on this machine');
  return !cudaLoads;
};

function warnings(): { warn: (m: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { warn: (m) => lines.push(m), lines };
}

test('cpu: the default, and what the session reports', async () => {
  const { session, executionProviders } = await createSession(model);
  try {
    assert.deepEqual(executionProviders, ['cpu']);
    const out = await session.run({ x: makeTensor('float32', Float32Array.of(4.5), [1]) });
    assert.deepEqual(Array.from(out.y.data as Float32Array), [4.5]);
  } finally {
    await session.release();
  }
});

test("--ep cuda without CUDA: one line naming the provider, ORT's reason and how to install it; no fallback", async (t) => {
  if (!noCuda(t)) return;
  const log = warnings();
  const error = await createSession(model, { executionProviders: ['cuda'], logger: log }).then(
    () => assert.fail('a session was created'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ExecutionProviderError, String(error));
  assert.equal(error.provider, 'cuda');
  assert.equal(error.message.includes('\n'), false, 'one line');
  assert.match(error.message, /^execution provider 'cuda' cannot load \(.*Failed to load shared library.*\): /);
  assert.ok(
    error.message.includes(
      `: install onnxruntime-node's CUDA 12 binaries with \`${INSTALL}\` (Linux x64; needs an NVIDIA GPU, CUDA 12 and cuDNN 9)`,
    ),
    error.message,
  );
  assert.match(error.message, /list cpu too \(--ep cuda,cpu\) to fall back to CPU$/);
  assert.deepEqual(log.lines, [], 'nothing fell back');
});

test('--ep cuda,cpu without CUDA: falls back to CPU, says so once, and the session runs', async (t) => {
  if (!noCuda(t)) return;
  const log = warnings();
  const { session, executionProviders } = await createSession(model, { executionProviders: ['cuda', 'cpu'], logger: log });
  try {
    assert.deepEqual(executionProviders, ['cpu']);
    assert.equal(log.lines.length, 1);
    assert.match(
      log.lines[0],
      /^execution provider 'cuda' cannot load \(.*\): install onnxruntime-node's CUDA 12 binaries with `.*`.*; falling back to CPU$/,
    );
    assert.ok(log.lines[0].includes(INSTALL));
    const out = await session.run({ x: makeTensor('float32', Float32Array.of(-1), [1]) });
    assert.deepEqual(Array.from(out.y.data as Float32Array), [-1]);
  } finally {
    await session.release();
  }
});

test('only the providers that fail are dropped: cuda and tensorrt both fail here, cpu remains', async (t) => {
  if (!noCuda(t)) return;
  const log = warnings();
  const { session, executionProviders } = await createSession(model, { executionProviders: ['cuda', 'tensorrt', 'cpu'], logger: log });
  await session.release();
  assert.deepEqual(executionProviders, ['cpu']);
  assert.deepEqual(
    log.lines.map((l) => /^execution provider '(\w+)'/.exec(l)?.[1]),
    ['cuda', 'tensorrt'],
  );
});

test("a model ORT cannot load is the model's fault, with or without a fallback", async (t) => {
  if (!noCuda(t)) return;
  const bad = path.join(dir, 'bad.onnx');
  writeFileSync(bad, 'not a model');
  await assert.rejects(
    createSession(bad, { executionProviders: ['cuda', 'cpu'], logger: warnings() }),
    (e: unknown) => e instanceof OrtSessionError && e.message.startsWith(`cannot load model ${bad}: `),
  );
  await assert.rejects(createSession(bad), OrtSessionError);
  await assert.rejects(createSession(path.join(dir, 'missing.onnx'), { executionProviders: ['cuda'] }), /missing\.onnx: file not found/);
});

test('benchmark and try take the providers too: the benchmark records the ones it ran on', async (t) => {
  if (!noCuda(t)) return;
  const log = warnings();
  const r = await benchmarkModel(model, {
    runs: 3,
    warmup: 1,
    executionProviders: ['cuda', 'cpu'],
    logger: { ...silentLogger, warn: log.warn },
  });
  assert.deepEqual(r.config.executionProviders, ['cpu']);
  assert.equal(r.latenciesMs.length, 3);
  assert.equal(log.lines.length, 1);
  await assert.rejects(tryModel(model, {}, { executionProviders: ['cuda'] }), ExecutionProviderError);
  const tried = await tryModel(model, {}, { executionProviders: ['cuda', 'cpu'], logger: log });
  assert.deepEqual(
    tried.outputs.map((o) => o.name),
    ['y'],
  );
  assert.equal(log.lines.length, 2);
});
