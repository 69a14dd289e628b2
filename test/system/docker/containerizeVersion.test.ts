/**
 * Containerize tags the image with the model's version on a real engine: the ONNX model_version gives
 * NAME:vN next to NAME:latest, a registry version of the same sha256 wins over it, and --tag is kept as given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { containerizeModel } from '../../../src/core/docker/containerizeModel';
import { locateServerAssets } from '../../../src/core/docker/serverAssets';
import { RegistryStore } from '../../../src/core/registry/RegistryStore';
import { CORPUS_DIR } from '../../support/requires';
import { REPO_ROOT, useTestEngine } from './engineHarness';

const MODEL = path.join(CORPUS_DIR, 'node', 'test_sigmoid', 'model.onnx');
const ready = useTestEngine('mlw-containerize-version-', false);

test('the image is tagged NAME:vN and NAME:latest from the model version, or the registry version', async (t) => {
  const docker = ready(t);
  if (!docker) return;
  const { env, engine, work } = docker;
  const modelPath = path.join(work, 'scorer.onnx');
  // The corpus model with model_version = 3 (field 5, a varint; the last occurrence wins).
  writeFileSync(modelPath, Buffer.concat([readFileSync(MODEL), Buffer.from([0x28, 3])]));
  const build = (extra: { tag?: string; workspace?: string }) =>
    containerizeModel({ engine, modelPath, assets: locateServerAssets(REPO_ROOT), baseImage: env.baseImage, ...extra });

  const built = await build({ workspace: work });
  assert.equal(built.image, 'scorer:v3');
  assert.deepEqual(built.tags, ['scorer:v3', 'scorer:latest', `scorer:${built.modelHash.slice(0, 12)}`]);
  for (const tag of built.tags) assert.equal((await engine.inspectImage(tag))?.id, built.imageId, tag);

  // Registered as version 5 of a registry model: the registry's version names the image.
  await new RegistryStore(work).write({
    schema: 1,
    name: 'scorer',
    aliases: { champion: 5 },
    versions: [
      {
        version: 5,
        registeredAt: new Date().toISOString(),
        registeredBy: 'test',
        source: { kind: 'file', runId: null },
        path: 'scorer.onnx',
        sha256: built.modelHash,
        sizeBytes: 1,
        signature: null,
        metrics: {},
        recipe: null,
        benchmark: null,
        notes: '',
      },
    ],
    aliasHistory: [],
  });
  const registered = await build({ workspace: work });
  assert.equal(registered.image, 'scorer:v5');
  assert.equal((await engine.inspectImage('scorer:v5'))?.id, registered.imageId);

  // An explicit --tag name:tag is what the user asked for: no version tag, no latest.
  const tagged = await build({ tag: 'team/scorer:2024.1', workspace: work });
  assert.deepEqual(tagged.tags, ['team/scorer:2024.1', `team/scorer:${built.modelHash.slice(0, 12)}`]);
  assert.equal(await engine.inspectImage('team/scorer:latest'), undefined);
});
