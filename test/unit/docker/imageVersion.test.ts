/** Containerize tags the image with the model's version (registry version, else ONNX model_version) next to latest. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { imageTags } from '../../../src/core/docker/imageName';
import { modelImageVersion, onnxModelVersion } from '../../../src/core/docker/imageVersion';
import { RegistryStore } from '../../../src/core/registry/RegistryStore';
import type { ModelVersion } from '../../../src/core/registry/registryTypes';
import { model } from '../onnx/protoWriter';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-image-version-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const hash = '0123456789abcdef'.repeat(4);

/** An ONNX file with model_version (field 5) set; 0 leaves it unset. */
function versionedModel(version: number): Uint8Array {
  const bytes = model({ graph: { initializers: [] } });
  return version ? Buffer.concat([bytes, Buffer.from([0x28, version])]) : bytes;
}

test('imageTags: a version tags name:vN and name:latest; --tag is kept as given', () => {
  assert.deepEqual(imageTags({ modelPath: '/w/ResNet50.onnx', modelHash: hash, version: 'v3' }), [
    'resnet50:v3',
    'resnet50:latest',
    'resnet50:0123456789ab',
  ]);
  assert.deepEqual(imageTags({ modelPath: '/w/ResNet50.onnx', modelHash: hash }), ['resnet50:latest', 'resnet50:0123456789ab']);
  assert.deepEqual(imageTags({ modelPath: '/w/x.onnx', modelHash: hash, tag: 'team/clf:1.2', version: 'v3' }), [
    'team/clf:1.2',
    'team/clf:0123456789ab',
  ]);
  assert.deepEqual(imageTags({ modelPath: '/w/x.onnx', modelHash: hash, tag: 'team/clf', version: 'v3' }), [
    'team/clf:v3',
    'team/clf:latest',
    'team/clf:0123456789ab',
  ]);
  assert.throws(() => imageTags({ modelPath: '/w/x.onnx', modelHash: hash, version: '-bad' }), /not a valid image tag/);
});

test('modelImageVersion: the registry version of that sha256 first, else the ONNX model_version, else none', async () => {
  const file = path.join(tmp, 'clf.onnx');
  writeFileSync(file, versionedModel(7));
  assert.equal(await onnxModelVersion(file), 7);
  const files = [{ file }];
  assert.equal(await modelImageVersion({ modelHash: hash, files }), 'v7');
  assert.equal(await modelImageVersion({ modelHash: hash, files, workspace: tmp }), 'v7', 'not registered: the file says');
  const version = (n: number, sha256: string): ModelVersion => ({
    version: n,
    registeredAt: '2026-01-01T00:00:00Z',
    registeredBy: 'test',
    source: { kind: 'file', runId: null },
    path: 'clf.onnx',
    sha256,
    sizeBytes: 1,
    signature: null,
    metrics: {},
    recipe: null,
    benchmark: null,
    notes: '',
  });
  await new RegistryStore(tmp).write({
    schema: 1,
    name: 'clf',
    aliases: { champion: 3 },
    versions: [version(1, 'f'.repeat(64)), version(3, hash)],
    aliasHistory: [],
  });
  assert.equal(await modelImageVersion({ modelHash: hash, files, workspace: tmp }), 'v3');
  writeFileSync(file, versionedModel(0));
  assert.equal(await modelImageVersion({ modelHash: 'e'.repeat(64), files, workspace: tmp }), undefined, 'no version anywhere');
  assert.equal(await modelImageVersion({ modelHash: 'e'.repeat(64), files: [{ file }, { file }] }), undefined, 'a folder of models');
});
