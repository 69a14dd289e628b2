/**
 * platformContract's SageMaker worker count (SAGEMAKER_MODEL_SERVER_WORKERS): how many server processes, their share
 * of the cores as ONNX Runtime threads, and a clear error for a value that is not a count. The worker processes
 * themselves run in the image: test/system/docker/platformImage.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { platformContract, sagemakerWorkers } from '../../../src/core/serve/platform/platformContract';

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
