/**
 * A reference profile built beside a model (Build Reference Profile… writes <model>.profile.json) goes into the
 * image: the container's server loads it, so its /stats reports a drift reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { containerizeModel } from '../../../src/core/docker/containerizeModel';
import { locateServerAssets } from '../../../src/core/docker/serverAssets';
import { runLocal } from '../../../src/core/deploy/runLocal';
import { buildProfile, profileToJson } from '../../../src/core/serve/driftProfile';
import { CORPUS_DIR } from '../../support/requires';
import { REPO_ROOT, useTestEngine } from './engineHarness';

const MODEL = path.join(CORPUS_DIR, 'node', 'test_sigmoid', 'model.onnx');
const ready = useTestEngine('mlw-containerize-profile-', false);

test('the container serves the model with the reference profile built beside it', async (t) => {
  const docker = ready(t);
  if (!docker) return;
  const { env, engine, work } = docker;
  const modelPath = path.join(work, 'sigmoid.onnx');
  copyFileSync(MODEL, modelPath);
  // x is [3,4,5]: 200 reference rows of [4,5].
  const data = Float64Array.from({ length: 200 * 20 }, (_, i) => Math.sin(i * 0.7));
  writeFileSync(path.join(work, 'sigmoid.profile.json'), profileToJson(buildProfile({ x: { shape: [200, 4, 5], data } })) + '\n');
  const image = await containerizeModel({
    engine,
    modelPath,
    assets: locateServerAssets(REPO_ROOT),
    baseImage: env.baseImage,
    tag: 'sigmoid-profile:test',
  });
  const run = await runLocal({ engine, image: image.image, modelName: image.modelName, containerPort: image.containerPort });
  try {
    assert.ok(run.smoke.ok, run.smoke.summary);
    const stats = (await (await fetch(`${run.endpoint}/v2/models/${image.modelName}/stats`)).json()) as {
      drift: { reference: boolean; inputs: { name: string; reference: boolean }[] };
    };
    assert.equal(stats.drift.reference, true, JSON.stringify(stats.drift));
    assert.deepEqual(
      stats.drift.inputs.map((i) => [i.name, i.reference]),
      [['x', true]],
    );
  } finally {
    await engine.remove(run.container.id, { force: true });
    await engine.removeImage(image.image, { force: true }).catch(() => undefined);
  }
});
