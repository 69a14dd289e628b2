/**
 * A reference profile built beside a model (Build Reference Profile… writes <model>.profile.json) goes into the
 * image: the container's server loads it, so its /stats reports a drift reference.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerEngine } from '../../../src/core/docker/dockerEngine';
import { containerizeModel } from '../../../src/core/docker/containerizeModel';
import { locateServerAssets } from '../../../src/core/docker/serverAssets';
import { parseDockerHost } from '../../../src/core/docker/findEngine';
import { runLocal } from '../../../src/core/deploy/runLocal';
import { buildProfile, profileToJson } from '../../../src/core/serve/driftProfile';
import { CORPUS_DIR, hasCorpus, needs } from '../../support/requires';
import { engineMissing, REPO_ROOT, startTestEngine, type TestEngine } from './engineHarness';

const MODEL = path.join(CORPUS_DIR, 'node', 'test_sigmoid', 'model.onnx');
let env: TestEngine | undefined;
let engine: DockerEngine | undefined;
let work = '';
let missing: string | undefined;

before(async () => {
  missing = await engineMissing(false);
  if (missing || !hasCorpus()) return;
  env = await startTestEngine(false);
  engine = await DockerEngine.connect(parseDockerHost(env.dockerHost, 'test'));
  work = mkdtempSync(path.join(os.tmpdir(), 'mlw-containerize-profile-'));
});

after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the container serves the model with the reference profile built beside it', async (t) => {
  if (
    !needs(t, 'a Docker engine', !missing, missing ?? '') ||
    !needs(t, 'libonnx-testdata', hasCorpus(), 'apt-get install libonnx-testdata')
  )
    return;
  const modelPath = path.join(work, 'sigmoid.onnx');
  copyFileSync(MODEL, modelPath);
  // x is [3,4,5]: 200 reference rows of [4,5].
  const data = Float64Array.from({ length: 200 * 20 }, (_, i) => Math.sin(i * 0.7));
  writeFileSync(path.join(work, 'sigmoid.profile.json'), profileToJson(buildProfile({ x: { shape: [200, 4, 5], data } })) + '\n');
  const image = await containerizeModel({
    engine: engine!,
    modelPath,
    assets: locateServerAssets(REPO_ROOT),
    baseImage: env!.baseImage,
    tag: 'sigmoid-profile:test',
  });
  const run = await runLocal({ engine: engine!, image: image.image, modelName: image.modelName, containerPort: image.containerPort });
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
    await engine!.remove(run.container.id, { force: true });
    await engine!.removeImage(image.image, { force: true }).catch(() => undefined);
  }
});
