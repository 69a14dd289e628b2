/** Containerize packs the drift reference profile (<model>.profile.json) beside each model it serves. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planModel } from '../../../src/core/docker/containerizeModel';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-profile-plan-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('planModel: a reference profile beside the model goes beside its copy, outside the model hash', async () => {
  const dir = path.join(tmp, 'one');
  mkdirSync(dir);
  const model = path.join(dir, 'Churn Model.onnx');
  writeFileSync(model, 'model-bytes');
  const without = await planModel(model);
  assert.deepEqual(without.profiles, []);
  writeFileSync(path.join(dir, 'Churn Model.profile.json'), '{}');
  const plan = await planModel(model);
  assert.deepEqual(plan.profiles, [{ name: 'models/Churn_Model.profile.json', file: path.join(dir, 'Churn Model.profile.json') }]);
  assert.equal(plan.modelHash, without.modelHash, 'a new profile does not change the model hash');
  assert.equal(plan.serveTarget, '/models/Churn_Model.onnx', 'the server reads /models/Churn_Model.profile.json beside it');
});

test('planModel: each model of a folder brings its own profile', async () => {
  const dir = path.join(tmp, 'folder');
  mkdirSync(path.join(dir, 'resnet'), { recursive: true });
  writeFileSync(path.join(dir, 'a.onnx'), 'a');
  writeFileSync(path.join(dir, 'a.profile.json'), '{}');
  writeFileSync(path.join(dir, 'b.onnx'), 'b');
  writeFileSync(path.join(dir, 'resnet', 'model.onnx'), 'r');
  writeFileSync(path.join(dir, 'resnet', 'model.profile.json'), '{}');
  const plan = await planModel(dir);
  assert.deepEqual(
    plan.profiles.map((p) => [p.name, path.relative(dir, p.file)]),
    [
      ['models/a.profile.json', 'a.profile.json'],
      ['models/resnet/model.profile.json', path.join('resnet', 'model.profile.json')],
    ],
  );
});
