/**
 * Capture in a container, on the real engine of the harness: a torch-exported MLP containerized, run by runLocal with
 * captureMount (MLW_CAPTURE=1, the workspace's .mlw/captures and .mlw/drift bind-mounted), requests sent from the
 * host, the container stopped (SIGTERM: the server writes what it queued), and numpy on the host reading the
 * captured rows back from the mount. The server inside runs as the image's unprivileged user.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { containerizeModel } from '../../../src/core/docker/containerizeModel';
import { locateServerAssets } from '../../../src/core/docker/serverAssets';
import { runLocal } from '../../../src/core/deploy/runLocal';
import { CAPTURE_LABEL, captureMount } from '../../../src/core/deploy/captureMount';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { postJson, destroyAgent, torchModel } from '../serve/fixtures';
import { REPO_ROOT, useTestEngine } from './engineHarness';

const started = useTestEngine('mlw-capture-container-', false);
const HAS_TORCH = pythonHas('numpy') && pythonHas('torch') && pythonHas('onnx');

test('a container run with capture on writes its captures to the bind-mounted workspace folder', async (t) => {
  const s = started(t);
  if (!s) return;
  if (!needs(t, 'python3-torch, python3-onnx and numpy', HAS_TORCH, 'apt-get install python3-torch python3-onnx python3-numpy')) return;
  t.after(() => destroyAgent());
  const { engine, env, work } = s;
  mkdirSync(path.join(work, 'models'), { recursive: true });
  copyFileSync(torchModel('mlp'), path.join(work, 'models', 'mlp.onnx'));
  const built = await containerizeModel({
    engine,
    modelPath: path.join(work, 'models', 'mlp.onnx'),
    workspace: work,
    assets: locateServerAssets(REPO_ROOT),
    baseImage: env.baseImage,
  });
  const capture = captureMount(work, built.modelName, 1);
  const run = await runLocal({ engine, image: built.image, modelName: built.modelName, containerPort: built.containerPort, capture });
  t.after(() => engine.remove(run.container.id, { force: true }).catch(() => undefined));
  assert.ok(run.smoke.ok, run.smoke.summary);
  assert.equal(run.container.labels[CAPTURE_LABEL], '1');
  const sent: number[][] = [];
  for (let i = 0; i < 5; i++) {
    const data = Array.from({ length: 32 }, (_, k) => i * 100 + k);
    sent.push(data);
    const r = await postJson(`${run.endpoint}/v2/models/${built.modelName}/infer`, {
      id: `c${i}`,
      inputs: [{ name: 'input', shape: [2, 16], datatype: 'FP32', data }],
    });
    assert.equal(r.status, 200);
  }
  await engine.stop(run.container.id, { timeoutSeconds: 20 });

  const dir = capture.hostDir;
  const lines = readFileSync(path.join(dir, 'chunk-000001.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // The smoke request first (random data, no id), then ours in order.
  assert.deepEqual(
    lines.slice(1).map((l) => l.id),
    ['c0', 'c1', 'c2', 'c3', 'c4'],
  );
  const read = JSON.parse(
    execFileSync(
      SYSTEM_PYTHON,
      [
        '-c',
        'import numpy as np, json, sys; a = np.load(sys.argv[1]); print(json.dumps([list(a.shape), a.reshape(-1).tolist()]))',
        path.join(dir, lines[1].inputs[0].file),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    ),
  ) as [number[], number[]];
  const [a] = lines[1].inputs[0].rows as [number, number];
  assert.deepEqual(read[0], [a + 10, 16], "the smoke request's rows, then five requests of two rows");
  assert.deepEqual(read[1].slice(a * 16), sent.flat());
});
