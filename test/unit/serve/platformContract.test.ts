/**
 * platformContract's SageMaker worker count (SAGEMAKER_MODEL_SERVER_WORKERS): how many server processes, their share
 * of the cores as ONNX Runtime threads, and a clear error for a value that is not a count; and which folder of a
 * platform's model folder is served. Both run in the image: test/system/docker/platformImage.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { modelFolder, platformContract, sagemakerWorkers } from '../../../src/core/serve/platform/platformContract';

const base = { MLW_MODEL: '/models/m.onnx', MLW_SAGEMAKER_MODEL_DIR: '/nonexistent' };

test('SageMaker workers: default 1, SAGEMAKER_MODEL_SERVER_WORKERS first, then SAGEMAKER_GUNICORN_WORKERS', () => {
  assert.equal(sagemakerWorkers({}), 1);
  assert.equal(sagemakerWorkers({ SAGEMAKER_MODEL_SERVER_WORKERS: ' 3 ' }), 3);
  assert.equal(sagemakerWorkers({ SAGEMAKER_GUNICORN_WORKERS: '2' }), 2);
  assert.equal(sagemakerWorkers({ SAGEMAKER_MODEL_SERVER_WORKERS: '4', SAGEMAKER_GUNICORN_WORKERS: '2' }), 4);
  assert.equal(sagemakerWorkers({ SAGEMAKER_MODEL_SERVER_WORKERS: '' }), 1);
  for (const bad of ['0', '-1', '1.5', 'two', 'auto'])
    assert.throws(
      () => sagemakerWorkers({ SAGEMAKER_MODEL_SERVER_WORKERS: bad }),
      new RegExp(`^Error: SAGEMAKER_MODEL_SERVER_WORKERS must be a whole number >= 1 \\(worker processes\\), got "${bad}"$`),
    );
});

test('the contract runs that many processes, each with its share of the cores unless --threads is given', () => {
  const one = platformContract(['serve'], base)!;
  assert.equal(one.workers, 1);
  assert.deepEqual(one.args, ['--host', '0.0.0.0', '--port', '8080', '/models/m.onnx'], 'one worker: ORT picks its threads');
  const two = platformContract(['serve'], { ...base, SAGEMAKER_MODEL_SERVER_WORKERS: '2' })!;
  const share = String(Math.max(1, Math.floor(availableParallelism() / 2)));
  assert.equal(two.workers, 2);
  assert.deepEqual(two.args, ['--threads', share, '--host', '0.0.0.0', '--port', '8080', '/models/m.onnx']);
  assert.match(two.notices.join('\n'), new RegExp(`2 worker processes, ${share} ONNX Runtime thread\\(s\\) each`));
  const given = platformContract(['serve', '--threads', '3'], { ...base, SAGEMAKER_MODEL_SERVER_WORKERS: '2' })!;
  assert.deepEqual(given.args, ['--threads', '3', '--host', '0.0.0.0', '--port', '8080', '/models/m.onnx']);
  assert.throws(() => platformContract(['serve'], { ...base, SAGEMAKER_MODEL_SERVER_WORKERS: 'many' }), /must be a whole number/);
  // Other platforms have no worker variable: one process.
  assert.equal(platformContract(['/models/m.onnx'], { AIP_HTTP_PORT: '8080', SAGEMAKER_MODEL_SERVER_WORKERS: '4' })!.workers, 1);
});

test('a platform model folder: its own models, else its one subfolder with models (Azure ML mounts a registered folder there)', (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlw-platform-folder-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const file = (rel: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), 'onnx');
  };
  file('flat/m.onnx');
  file('azure/1/model/wide.onnx');
  file('azure/1/model/README.md');
  file('two/a/x.onnx');
  file('two/b/y.onnx');
  file('empty/notes.txt');
  assert.equal(modelFolder(path.join(root, 'flat')), path.join(root, 'flat'));
  assert.equal(modelFolder(path.join(root, 'azure', '1')), path.join(root, 'azure', '1', 'model'));
  assert.equal(modelFolder(path.join(root, 'two')), undefined, 'two subfolders with models: which one is not guessed');
  assert.equal(modelFolder(path.join(root, 'empty')), undefined);
  assert.equal(modelFolder(path.join(root, 'absent')), undefined);
  const az = platformContract(['/models/own.onnx'], { AZUREML_MODEL_DIR: path.join(root, 'azure', '1') })!;
  assert.equal(az.args.at(-1), path.join(root, 'azure', '1', 'model'));
  assert.match(az.notices.join('\n'), /Azure ML: serving the model\(s\) in .*azure\/1\/model/);
  const none = platformContract(['/models/own.onnx'], { AZUREML_MODEL_DIR: path.join(root, 'two') })!;
  assert.equal(none.args.at(-1), '/models/own.onnx');
  assert.match(none.notices.join('\n'), /no ONNX model in AZUREML_MODEL_DIR .*two; serving the image's own/);
  const sm = platformContract(['serve'], { MLW_MODEL: '/models/own.onnx', MLW_SAGEMAKER_MODEL_DIR: path.join(root, 'azure', '1') })!;
  assert.equal(sm.args.at(-1), path.join(root, 'azure', '1', 'model'));
});
