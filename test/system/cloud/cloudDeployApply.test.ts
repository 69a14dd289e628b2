/**
 * `mlw deploy sagemaker IMAGE --apply` end to end with a logged-in `aws` TRANSCRIPT (cliTranscripts.ts) and a
 * docker-credential-ecr-login TRANSCRIPT first on PATH, and a REAL Docker engine and registry standing in for ECR:
 * the ECR repository is looked up and created, the image is really pushed with the helper's credentials, the
 * SageMaker calls run in order and the endpoint is followed until InService (or Failed, with its reason).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readLineage } from '../../../src/core/deploy/lineage';
import { needs } from '../../support/requires';
import { REPO_ROOT, useTestEngine } from '../docker/engineHarness';
import { AWS, AZ, GCLOUD, writeTranscripts, type TranscriptStep } from './cliTranscripts';

const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const run = promisify(execFile);
const started = useTestEngine('mlw-cloud-apply-', true);
const ROLE = 'arn:aws:iam::123456789012:role/SageMakerExecution';

/** aws ecr, from the AWS CLI reference's documented error and example output. */
const ECR = {
  notFound: {
    match: ['ecr', 'describe-repositories'],
    stderr:
      "\nAn error occurred (RepositoryNotFoundException) when calling the DescribeRepositories operation: The repository with name 'linear' does not exist in the registry with id '123456789012'\n",
    code: 254,
  },
  created: (registry: string) => ({
    match: ['ecr', 'create-repository'],
    stdout: `${JSON.stringify(
      {
        repository: {
          repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/linear',
          registryId: '123456789012',
          repositoryName: 'linear',
          repositoryUri: `${registry}/linear`,
          imageTagMutability: 'MUTABLE',
        },
      },
      null,
      4,
    )}\n`,
  }),
};

function transcriptsFor(registry: string, endpointSteps: TranscriptStep[]) {
  return writeTranscripts({
    aws: [
      AWS.callerIdentity,
      ECR.notFound,
      ECR.created(registry),
      AWS.createModel('linear'),
      AWS.createEndpointConfig('linear'),
      AWS.createEndpoint('linear'),
      ...endpointSteps,
    ],
    'docker-credential-ecr-login': [
      { match: ['get'], stdout: JSON.stringify({ ServerURL: registry, Username: 'AWS', Secret: 'eyJwYXlsb2FkIjoidHJhbnNjcmlwdCJ9' }) },
    ],
  });
}

async function mlw(ws: string, dockerHost: string, pathDir: string, args: string[]) {
  return run(process.execPath, [MLW, '--workspace', ws, ...args], {
    env: { PATH: pathDir, HOME: ws, DOCKER_HOST: dockerHost },
    timeout: 180_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

test('mlw deploy sagemaker --apply: ECR repository created, image pushed with ecr-login, endpoint followed to InService', async (t) => {
  const s = started(t);
  if (!s || !needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  await s.engine.tagImage(s.env.baseImage, 'team/linear', '0.1');
  const tr = transcriptsFor(s.env.registry, [AWS.describeEndpoint('linear', 'Creating'), AWS.describeEndpoint('linear', 'InService')]);
  t.after(tr.remove);
  const args = [
    'deploy',
    'sagemaker',
    'team/linear:0.1',
    '--role',
    ROLE,
    '--registry',
    s.env.registry,
    '--region',
    'us-east-1',
    '--apply',
    '--poll-seconds',
    '0.05',
    '--json',
  ];
  const r = await mlw(s.work, s.env.dockerHost, tr.dir, args);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; url: string; targetImage: string; pushed: { digest: string } };
  assert.equal(doc.status, 'InService');
  assert.equal(doc.url, 'https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/linear/invocations');
  assert.equal(doc.targetImage, `${s.env.registry}/linear:0.1`);
  // The registry really has the image, under the digest the push reported.
  const res = await fetch(`http://${s.env.registry}/v2/linear/manifests/0.1`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-content-digest'), doc.pushed.digest);
  const describe = ['aws', 'sagemaker', 'describe-endpoint', '--endpoint-name', 'linear', '--region', 'us-east-1', '--output', 'json'];
  assert.deepEqual(tr.calls(), [
    ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
    ['aws', 'ecr', 'describe-repositories', '--repository-names', 'linear', '--region', 'us-east-1', '--output', 'json'],
    ['aws', 'ecr', 'create-repository', '--repository-name', 'linear', '--region', 'us-east-1', '--output', 'json'],
    ['docker-credential-ecr-login', 'get'],
    ['aws', 'sagemaker', 'create-model', '--region', 'us-east-1', '--cli-input-json', 'file://model.json'],
    ['aws', 'sagemaker', 'create-endpoint-config', '--region', 'us-east-1', '--cli-input-json', 'file://endpoint-config.json'],
    ['aws', 'sagemaker', 'create-endpoint', '--region', 'us-east-1', '--cli-input-json', 'file://endpoint.json'],
    describe,
    describe,
  ]);
  const cloud = (await readLineage(s.work)).filter((x) => x.kind === 'cloud');
  assert.deepEqual(
    cloud.map((x) => x.status),
    ['Creating', 'InService'],
  );
  assert.equal(cloud[1].url, doc.url);
  assert.equal(cloud[1].reference, doc.targetImage);
});

test('mlw deploy sagemaker --apply: an endpoint that goes Failed exits 1 with the FailureReason', async (t) => {
  const s = started(t);
  if (!s || !needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  await s.engine.tagImage(s.env.baseImage, 'team/linear', '0.1');
  const reason =
    'The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.';
  const tr = transcriptsFor(s.env.registry, [AWS.describeEndpoint('linear', 'Failed', reason)]);
  t.after(tr.remove);
  const r = await mlw(s.work, s.env.dockerHost, tr.dir, [
    'deploy',
    'sagemaker',
    'team/linear:0.1',
    '--role',
    ROLE,
    '--registry',
    s.env.registry,
    '--region',
    'us-east-1',
    '--apply',
    '--poll-seconds',
    '0.05',
    '--out',
    'deploy/failed',
  ]);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`linear is Failed: ${reason}`), r.stderr);
  assert.match(r.stderr, /^linear: Failed$/m, 'the status line is shown');
  const records = (await readLineage(s.work)).filter((x) => x.kind === 'cloud' && x.manifest?.endsWith(path.join('deploy', 'failed')));
  assert.deepEqual(
    records.map((x) => x.status),
    ['Failed'],
  );
});

test('mlw deploy vertex and azureml --apply (transcripts): push to a real registry, then the gcloud and az calls in order', async (t) => {
  const s = started(t);
  if (!s || !needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  await s.engine.tagImage(s.env.baseImage, 'team/linear', '0.1');
  const tr = writeTranscripts({
    gcloud: [
      GCLOUD.activeAccount,
      {
        match: ['artifacts', 'repositories', 'describe'],
        stdout: JSON.stringify({ name: 'projects/ml-team-prod/locations/us-central1/repositories/mlw', format: 'DOCKER' }),
      },
      { match: ['auth', 'print-access-token'], stdout: 'ya29.a0AfB_transcript-token\n' },
      GCLOUD.upload,
      GCLOUD.createEndpoint('linear'),
      GCLOUD.deployModel('linear'),
      GCLOUD.describe('linear'),
    ],
    az: [
      AZ.account,
      { match: ['acr', 'login'], stdout: JSON.stringify({ accessToken: 'eyJhbGciOi.transcript.token', loginServer: s.env.registry }) },
      AZ.endpointCreate('linear'),
      AZ.deploymentCreate('linear'),
      AZ.endpointShow('linear', 'Succeeded'),
    ],
  });
  t.after(tr.remove);
  const vx = await mlw(s.work, s.env.dockerHost, tr.dir, [
    'deploy',
    'vertex',
    'team/linear:0.1',
    '--project',
    'ml-team-prod',
    '--registry',
    `${s.env.registry}/ml-team-prod/mlw`,
    '--apply',
    '--poll-seconds',
    '0.05',
    '--json',
  ]);
  assert.equal(vx.code, 0, vx.stderr);
  const v = JSON.parse(vx.stdout) as { status: string; targetImage: string; url: string };
  assert.equal(v.status, 'DEPLOYED');
  assert.equal(v.targetImage, `${s.env.registry}/ml-team-prod/mlw/linear:0.1`);
  const az = await mlw(s.work, s.env.dockerHost, tr.dir, [
    'deploy',
    'azureml',
    'team/linear:0.1',
    '--resource-group',
    'ml-rg',
    '--workspace-name',
    'ml-ws',
    '--registry',
    s.env.registry,
    '--apply',
    '--poll-seconds',
    '0.05',
    '--json',
  ]);
  assert.equal(az.code, 0, az.stderr);
  const a = JSON.parse(az.stdout) as { status: string; url: string };
  assert.deepEqual([a.status, a.url], ['Succeeded', 'https://linear.eastus.inference.ml.azure.com/score']);
  for (const repo of ['ml-team-prod/mlw/linear', 'linear']) {
    const res = await fetch(`http://${s.env.registry}/v2/${repo}/manifests/0.1`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200, `${repo} was pushed`);
  }
  assert.deepEqual(
    tr.calls().map((c) => c.slice(0, 4).join(' ')),
    [
      'gcloud auth list --filter=status:ACTIVE',
      'gcloud artifacts repositories describe',
      'gcloud auth print-access-token',
      'gcloud ai models upload',
      'gcloud ai endpoints create',
      'gcloud ai endpoints deploy-model',
      'gcloud ai endpoints describe',
      'az account show --output',
      'az acr login --name',
      'az ml online-endpoint create',
      'az ml online-deployment create',
      'az ml online-endpoint show',
    ],
  );
  const cloud = (await readLineage(s.work)).filter((x) => x.kind === 'cloud');
  assert.deepEqual(cloud.map((x) => [x.platform, x.status]).slice(-2), [
    ['vertex', 'DEPLOYED'],
    ['azureml', 'Succeeded'],
  ]);
});
