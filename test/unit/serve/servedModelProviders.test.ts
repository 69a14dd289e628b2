/** The model server's sessions take `--ep` too: with `cuda,cpu` and no CUDA here it falls back and logs it per model. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../../src/core/logger';
import { probeExecutionProvider } from '../../../src/core/ort/probeExecutionProvider';
import { probeModel } from '../../../src/core/ort/probeModel';
import { startServer } from '../../../src/core/serve/startServer';

let dir: string;
let model: string;
let cudaLoads = false;
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-serve-ep-'));
  model = path.join(dir, 'identity.onnx');
  writeFileSync(model, probeModel());
  cudaLoads = (await probeExecutionProvider('cuda')).loads;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('serve --ep cuda,cpu falls back to CPU with a warning naming the model; --ep cuda does not start', async (t) => {
  if (cudaLoads) return t.skip('the CUDA provider loads on this machine');
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };
  const server = await startServer({ models: [{ name: 'm', path: model }], port: 0, executionProviders: ['cuda', 'cpu'] }, logger);
  try {
    const m = server.handler.models.get('m')!;
    assert.equal(m.state, 'ready');
    assert.deepEqual(m.executionProviders, ['cpu']);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /^model 'm': execution provider 'cuda' cannot load \(.+\): .*ONNXRUNTIME_NODE_INSTALL=cuda12.*; falling back to CPU$/,
    );
    const res = await fetch(`${server.url}/v2/models/m/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2.5] }] }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { outputs: { data: number[] }[] }).outputs[0].data, [2.5]);
  } finally {
    await server.close();
  }
  await assert.rejects(
    startServer({ models: [{ name: 'm', path: model }], port: 0, executionProviders: ['cuda'] }, silentLogger),
    (e: Error) =>
      e.message.startsWith(`cannot load model 'm' from ${model}: execution provider 'cuda' cannot load (`) && !e.message.includes('\n'),
  );
});
