/**
 * Cloud deployments driven through the platforms' CLIs, against TRANSCRIPTS of each CLI's documented output
 * (cliTranscripts.ts: fake aws, gcloud and az first on PATH that replay recorded outputs and record their argv):
 * the exact argv sequence, the endpoint's status followed (Creating -> InService; Failed with its reason), the
 * not-logged-in probe, and the real `mlw deploy sagemaker|vertex|azureml` CLI (dist/mlw.js) saving the files and
 * printing the commands when it cannot deploy, with its exit codes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { applyCloudDeployment, CloudDeployFailed } from '../../../src/core/deploy/cloud/applyCloudDeployment';
import { cloudRegistryAuth } from '../../../src/core/deploy/cloud/cloudRegistryAuth';
import { probeCloudCli } from '../../../src/core/deploy/cloud/probeCloudCli';
import { renderCloudDeployment } from '../../../src/core/deploy/cloud/renderCloudDeployment';
import { saveCloudDeployment } from '../../../src/core/deploy/cloud/saveCloudDeployment';
import { readLineage } from '../../../src/core/deploy/lineage';
import { needs } from '../../support/requires';
import { findOnPath } from '../../../src/core/deploy/cloud/runCloudCli';
import { AWS, AZ, GCLOUD, writeTranscripts, type Transcripts } from './cliTranscripts';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const MLW = path.join(REPO_ROOT, 'dist', 'mlw.js');
const run = promisify(execFile);
const cleanup: (() => void)[] = [];
after(() => cleanup.forEach((f) => f()));

function transcripts(byCli: Parameters<typeof writeTranscripts>[0]): Transcripts {
  const t = writeTranscripts(byCli);
  cleanup.push(t.remove);
  return t;
}

function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerExecution';

test('SageMaker (transcripts): create-model, create-endpoint-config, create-endpoint, then Creating -> InService', async () => {
  const tr = transcripts({
    aws: [
      AWS.createModel('linear'),
      AWS.createEndpointConfig('linear'),
      AWS.createEndpoint('linear'),
      AWS.describeEndpoint('linear', 'Creating'),
      AWS.describeEndpoint('linear', 'Creating'),
      AWS.describeEndpoint('linear', 'InService'),
    ],
  });
  const dep = renderCloudDeployment({
    platform: 'sagemaker',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'linear',
    role: ROLE,
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  });
  const out = tempDir('mlw-sm-');
  await saveCloudDeployment(dep, out);
  const statuses: string[] = [];
  const log: string[] = [];
  const done = await applyCloudDeployment(dep, {
    cli: tr.cli('aws'),
    cwd: out,
    log: (l) => log.push(l),
    onStatus: (s) => statuses.push(s),
    pollMs: 10,
    timeoutMs: 20_000,
  });
  assert.deepEqual(tr.calls(), [
    ['aws', 'sagemaker', 'create-model', '--region', 'us-east-1', '--cli-input-json', 'file://model.json'],
    ['aws', 'sagemaker', 'create-endpoint-config', '--region', 'us-east-1', '--cli-input-json', 'file://endpoint-config.json'],
    ['aws', 'sagemaker', 'create-endpoint', '--region', 'us-east-1', '--cli-input-json', 'file://endpoint.json'],
    ...Array(3).fill(['aws', 'sagemaker', 'describe-endpoint', '--endpoint-name', 'linear', '--region', 'us-east-1', '--output', 'json']),
  ]);
  assert.deepEqual(statuses, ['Creating', 'InService']);
  assert.deepEqual(done, {
    endpoint: 'linear',
    status: 'InService',
    url: 'https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/linear/invocations',
  });
  assert.ok(
    log.some((l) => l.includes('"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/linear"')),
    'the CLI output is shown',
  );
});

test('SageMaker (transcripts): an endpoint that goes Failed stops with its FailureReason', async () => {
  const reason =
    'The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.';
  const tr = transcripts({
    aws: [
      AWS.createModel('linear'),
      AWS.createEndpointConfig('linear'),
      AWS.createEndpoint('linear'),
      AWS.describeEndpoint('linear', 'Creating'),
      AWS.describeEndpoint('linear', 'Failed', reason),
    ],
  });
  const dep = renderCloudDeployment({
    platform: 'sagemaker',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'linear',
    role: ROLE,
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  });
  const statuses: string[] = [];
  await assert.rejects(
    applyCloudDeployment(dep, {
      cli: tr.cli('aws'),
      cwd: tempDir('mlw-sm-'),
      log: () => undefined,
      onStatus: (s) => statuses.push(s),
      pollMs: 10,
    }),
    (e: Error) => e instanceof CloudDeployFailed && e.status === 'Failed' && e.message === `linear is Failed: ${reason}`,
  );
  assert.deepEqual(statuses, ['Creating', 'Failed']);
});

test('SageMaker (transcripts): a create call the platform refuses stops with its own error line', async () => {
  const tr = transcripts({
    aws: [
      {
        match: ['sagemaker', 'create-model'],
        stderr:
          '\nAn error occurred (ValidationException) when calling the CreateModel operation: Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/linear".\n',
        code: 254,
      },
    ],
  });
  const dep = renderCloudDeployment({
    platform: 'sagemaker',
    image: 'linear',
    name: 'linear',
    modelName: 'linear',
    role: ROLE,
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  });
  await assert.rejects(
    applyCloudDeployment(dep, { cli: tr.cli('aws'), cwd: tempDir('mlw-sm-'), log: () => undefined, pollMs: 10 }),
    /aws sagemaker create-model --region failed \(exit 254\):\nAn error occurred \(ValidationException\) when calling the CreateModel operation: Cannot create already existing model/,
  );
  assert.equal(tr.calls().length, 1, 'nothing runs after the refused call');
});

test('Vertex AI (transcripts): models upload, endpoints create, deploy-model, then describe lists the deployed model', async () => {
  const tr = transcripts({
    gcloud: [GCLOUD.upload, GCLOUD.createEndpoint('linear'), GCLOUD.deployModel('linear'), GCLOUD.describe('linear')],
  });
  const dep = renderCloudDeployment({
    platform: 'vertex',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'linear',
    project: 'ml-team-prod',
  });
  const statuses: string[] = [];
  const done = await applyCloudDeployment(dep, {
    cli: tr.cli('gcloud'),
    cwd: tempDir('mlw-vx-'),
    log: () => undefined,
    onStatus: (s) => statuses.push(s),
    pollMs: 10,
  });
  const image = 'us-central1-docker.pkg.dev/ml-team-prod/mlw/linear:0.1';
  assert.deepEqual(tr.calls(), [
    [
      'gcloud',
      'ai',
      'models',
      'upload',
      '--region=us-central1',
      '--project=ml-team-prod',
      '--display-name=linear',
      '--model-id=linear',
      `--container-image-uri=${image}`,
      '--container-ports=8080',
      '--container-health-route=/health',
      '--container-predict-route=/predict',
      '--container-env-vars=MLW_PLATFORM=vertex',
    ],
    [
      'gcloud',
      'ai',
      'endpoints',
      'create',
      '--region=us-central1',
      '--project=ml-team-prod',
      '--display-name=linear',
      '--endpoint-id=linear',
    ],
    [
      'gcloud',
      'ai',
      'endpoints',
      'deploy-model',
      'linear',
      '--region=us-central1',
      '--project=ml-team-prod',
      '--model=linear',
      '--display-name=linear',
      '--machine-type=n1-standard-2',
      '--min-replica-count=1',
      '--max-replica-count=1',
      '--traffic-split=0=100',
    ],
    ['gcloud', 'ai', 'endpoints', 'describe', 'linear', '--region=us-central1', '--project=ml-team-prod', '--format=json'],
  ]);
  assert.deepEqual(statuses, ['DEPLOYED']);
  assert.equal(
    done.url,
    'https://us-central1-aiplatform.googleapis.com/v1/projects/123456789012/locations/us-central1/endpoints/linear:predict',
  );
});

test("Vertex AI (transcripts): a deploy-model whose operation fails shows gcloud's error", async () => {
  const tr = transcripts({ gcloud: [GCLOUD.upload, GCLOUD.createEndpoint('linear'), GCLOUD.deployFailed] });
  const dep = renderCloudDeployment({
    platform: 'vertex',
    image: 'linear:1',
    name: 'linear',
    modelName: 'linear',
    project: 'ml-team-prod',
  });
  await assert.rejects(
    applyCloudDeployment(dep, { cli: tr.cli('gcloud'), cwd: tempDir('mlw-vx-'), log: () => undefined, pollMs: 10 }),
    /gcloud ai endpoints deploy-model failed \(exit 1\):[\s\S]*Model server never became ready/,
  );
});

test('Azure ML (transcripts): online-endpoint create, online-deployment create --all-traffic, then Updating -> Succeeded', async () => {
  const tr = transcripts({
    az: [
      AZ.endpointCreate('linear'),
      AZ.deploymentCreate('linear'),
      AZ.endpointShow('linear', 'Updating'),
      AZ.endpointShow('linear', 'Succeeded'),
    ],
  });
  const dep = renderCloudDeployment({
    platform: 'azureml',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'linear',
    resourceGroup: 'ml-rg',
    workspaceName: 'ml-ws',
    registry: 'mlteamacr.azurecr.io',
  });
  const statuses: string[] = [];
  const done = await applyCloudDeployment(dep, {
    cli: tr.cli('az'),
    cwd: tempDir('mlw-az-'),
    log: () => undefined,
    onStatus: (s) => statuses.push(s),
    pollMs: 10,
  });
  const scope = ['--resource-group', 'ml-rg', '--workspace-name', 'ml-ws'];
  assert.deepEqual(tr.calls(), [
    ['az', 'ml', 'online-endpoint', 'create', '--file', 'endpoint.yml', ...scope],
    ['az', 'ml', 'online-deployment', 'create', '--file', 'deployment.yml', ...scope, '--all-traffic'],
    ['az', 'ml', 'online-endpoint', 'show', '--name', 'linear', ...scope, '--output', 'json'],
    ['az', 'ml', 'online-endpoint', 'show', '--name', 'linear', ...scope, '--output', 'json'],
  ]);
  assert.deepEqual(statuses, ['Updating', 'Succeeded']);
  assert.equal(done.url, 'https://linear.eastus.inference.ml.azure.com/score');
});

test('Azure ML (transcripts): provisioning_state Failed stops', async () => {
  const tr = transcripts({ az: [AZ.endpointCreate('linear'), AZ.deploymentCreate('linear'), AZ.endpointShow('linear', 'Failed')] });
  const dep = renderCloudDeployment({
    platform: 'azureml',
    image: 'linear:1',
    name: 'linear',
    modelName: 'linear',
    resourceGroup: 'g',
    workspaceName: 'w',
    registry: 'mlteamacr.azurecr.io',
  });
  await assert.rejects(
    applyCloudDeployment(dep, { cli: tr.cli('az'), cwd: tempDir('mlw-az-'), log: () => undefined, pollMs: 10 }),
    /linear is Failed: the endpoint's provisioning_state is Failed/,
  );
});

test("probeCloudCli (transcripts): logged in gives the account; not logged in gives the CLI's own line and the fix; absent says so", async () => {
  const inside = transcripts({ aws: [AWS.callerIdentity], gcloud: [GCLOUD.activeAccount], az: [AZ.account] });
  const env = { PATH: inside.dir };
  assert.deepEqual(await probeCloudCli('sagemaker', env), { cli: inside.cli('aws'), loggedIn: true, account: '123456789012' });
  assert.deepEqual(await probeCloudCli('vertex', env), { cli: inside.cli('gcloud'), loggedIn: true, account: 'ml-team@example.com' });
  assert.deepEqual(await probeCloudCli('azureml', env), { cli: inside.cli('az'), loggedIn: true, account: 'ML Team Subscription' });
  assert.deepEqual(inside.calls(), [
    ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
    ['gcloud', 'auth', 'list', '--filter=status:ACTIVE', '--format=value(account)'],
    ['az', 'account', 'show', '--output', 'json'],
  ]);

  const outside = transcripts({ aws: [AWS.noCredentials], gcloud: [GCLOUD.noAccount], az: [AZ.notLoggedIn] });
  const env2 = { PATH: outside.dir };
  assert.deepEqual(await probeCloudCli('sagemaker', env2), {
    cli: outside.cli('aws'),
    loggedIn: false,
    reason:
      'Unable to locate credentials. You can configure credentials by running "aws configure". (run aws configure (or aws sso login))',
  });
  assert.equal((await probeCloudCli('vertex', env2)).reason, 'No credentialed accounts. (run gcloud auth login)');
  assert.equal((await probeCloudCli('azureml', env2)).reason, "Please run 'az login' to setup account. (run az login)");

  const none = await probeCloudCli('azureml', { PATH: tempDir('mlw-nocli-') });
  assert.equal(none.loggedIn, false);
  assert.equal(none.cli, undefined);
  assert.match(none.reason ?? '', /^az is not on PATH: install the Azure CLI/);
});

function mlw(ws: string, args: string[], pathDir: string) {
  return run(process.execPath, [MLW, '--workspace', ws, ...args], {
    env: { PATH: pathDir, HOME: ws, DOCKER_HOST: `unix://${ws}/no-engine.sock` },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

test('mlw deploy sagemaker with aws not logged in (transcript): files saved, exact commands printed, exit 0; --apply exits 1', async (t) => {
  if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  const ws = tempDir('mlw-cloud-cli-');
  const tr = transcripts({ aws: [AWS.noCredentials, AWS.noCredentials] });
  const r = await mlw(
    ws,
    [
      'deploy',
      'sagemaker',
      'team/linear:0.1',
      '--role',
      ROLE,
      '--registry',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      '--region',
      'eu-west-1',
    ],
    tr.dir,
  );
  assert.equal(r.code, 0, r.stderr);
  const out = path.join(ws, 'deploy', 'sagemaker');
  for (const f of ['model.json', 'endpoint-config.json', 'endpoint.json', 'commands.sh']) assert.ok(existsSync(path.join(out, f)), f);
  assert.match(r.stderr, /Unable to locate credentials/);
  assert.match(r.stdout, /^mlw deploy push team\/linear:0\.1 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/linear:0\.1$/m);
  assert.match(r.stdout, /^aws sagemaker create-model --region eu-west-1 --cli-input-json file:\/\/model\.json$/m);
  assert.match(r.stdout, /^aws sagemaker create-endpoint --region eu-west-1 --cli-input-json file:\/\/endpoint\.json$/m);
  const model = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')) as {
    PrimaryContainer: { Image: string };
    ExecutionRoleArn: string;
  };
  assert.equal(model.PrimaryContainer.Image, '123456789012.dkr.ecr.eu-west-1.amazonaws.com/linear:0.1');
  assert.equal(model.ExecutionRoleArn, ROLE);
  assert.match(readFileSync(path.join(out, 'commands.sh'), 'utf8'), /aws sagemaker create-endpoint-config --region eu-west-1/);
  const saved = (await readLineage(ws)).filter((x) => x.kind === 'cloud');
  assert.deepEqual(
    saved.map((x) => [x.platform, x.endpoint, x.region, x.status, x.reference]),
    [['sagemaker', 'linear', 'eu-west-1', 'saved', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/linear:0.1']],
  );

  const applied = await mlw(
    ws,
    [
      'deploy',
      'sagemaker',
      'team/linear:0.1',
      '--role',
      ROLE,
      '--registry',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      '--region',
      'eu-west-1',
      '--apply',
    ],
    tr.dir,
  );
  assert.equal(applied.code, 1, applied.stderr);
  assert.match(
    applied.stderr,
    /^Cannot deploy from here: Unable to locate credentials\. You can configure credentials by running "aws configure"\./m,
  );
  assert.match(applied.stdout, /^aws sagemaker create-model --region eu-west-1/m, 'the commands are printed all the same');
  assert.deepEqual(tr.calls(), [
    ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
    ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
  ]);
});

test('mlw deploy vertex and azureml with no CLI installed: files saved, what is missing and the commands printed', async (t) => {
  if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  const ws = tempDir('mlw-cloud-cli-');
  const empty = tempDir('mlw-nocli-');
  const vx = await mlw(
    ws,
    ['deploy', 'vertex', 'team/linear:0.1', '--project', 'ml-team-prod', '--instance-type', 'n1-standard-4', '--json'],
    empty,
  );
  assert.equal(vx.code, 0, vx.stderr);
  const doc = JSON.parse(vx.stdout) as { targetImage: string; applied: boolean; reason: string; missing: string[]; files: string[] };
  assert.equal(doc.targetImage, 'us-central1-docker.pkg.dev/ml-team-prod/mlw/linear:0.1');
  assert.equal(doc.applied, false);
  assert.deepEqual(doc.missing, []);
  assert.match(doc.reason, /^gcloud is not on PATH/);
  assert.deepEqual(
    doc.files.map((f) => path.relative(ws, f)),
    ['deploy/vertex/model.json', 'deploy/vertex/commands.sh'],
  );

  const az = await mlw(ws, ['deploy', 'azureml', 'team/linear:0.1', '--apply'], empty);
  assert.equal(az.code, 1);
  assert.match(az.stderr, /^Cannot deploy from here: az is not on PATH: install the Azure CLI/m);
  assert.match(az.stderr, /^Still needed before --apply: resource group: give --resource-group G/m);
  assert.match(
    az.stdout,
    /^az ml online-deployment create --file deployment\.yml --resource-group RESOURCE_GROUP --workspace-name WORKSPACE --all-traffic$/m,
  );
  assert.ok(existsSync(path.join(ws, 'deploy', 'azureml', 'deployment.yml')));

  const bad = await mlw(ws, ['deploy', 'sagemaker', 'x', '--name', 'bad_name!'], empty);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /"bad_name!" is not a valid sagemaker endpoint name/);
});

test('registry credentials (transcripts): Artifact Registry repository created and an access token; ACR token from az acr login', async () => {
  const tr = transcripts({
    gcloud: [
      {
        match: ['artifacts', 'repositories', 'describe'],
        stderr: 'ERROR: (gcloud.artifacts.repositories.describe) NOT_FOUND: Requested entity was not found.\n',
        code: 1,
      },
      {
        match: ['artifacts', 'repositories', 'create'],
        stderr:
          'Create request issued for: [mlw]\nWaiting for operation [projects/ml-team-prod/locations/us-central1/operations/0d1f] to complete...done.\nCreated repository [mlw].\n',
      },
      { match: ['auth', 'print-access-token'], stdout: 'ya29.a0AfB_transcript-token\n' },
    ],
    az: [
      {
        match: ['acr', 'login'],
        stdout: JSON.stringify({ accessToken: 'eyJhbGciOi.transcript.token', loginServer: 'mlteamacr.azurecr.io' }, null, 2),
        stderr:
          "You can perform manual login using the provided access token below, for example: 'docker login loginServer -u 00000000-0000-0000-0000-000000000000 -p accessToken'\n",
      },
    ],
  });
  const vx = renderCloudDeployment({
    platform: 'vertex',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'linear',
    project: 'ml-team-prod',
  });
  const logged: string[] = [];
  assert.deepEqual(await cloudRegistryAuth(vx, { cli: tr.cli('gcloud'), log: (l) => logged.push(l) }), {
    username: 'oauth2accesstoken',
    password: 'ya29.a0AfB_transcript-token',
    serveraddress: 'us-central1-docker.pkg.dev',
  });
  assert.deepEqual(logged, ['Creating the Artifact Registry repository mlw in us-central1']);
  const az = renderCloudDeployment({
    platform: 'azureml',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'linear',
    resourceGroup: 'g',
    workspaceName: 'w',
    registry: 'mlteamacr.azurecr.io',
  });
  assert.deepEqual(await cloudRegistryAuth(az, { cli: tr.cli('az'), log: () => undefined }), {
    username: '00000000-0000-0000-0000-000000000000',
    password: 'eyJhbGciOi.transcript.token',
    serveraddress: 'mlteamacr.azurecr.io',
  });
  assert.deepEqual(tr.calls(), [
    ['gcloud', 'artifacts', 'repositories', 'describe', 'mlw', '--location=us-central1', '--project=ml-team-prod', '--format=json'],
    [
      'gcloud',
      'artifacts',
      'repositories',
      'create',
      'mlw',
      '--repository-format=docker',
      '--location=us-central1',
      '--project=ml-team-prod',
    ],
    ['gcloud', 'auth', 'print-access-token'],
    ['az', 'acr', 'login', '--name', 'mlteamacr', '--expose-token', '--output', 'json'],
  ]);
});

test('mlw deploy sagemaker with aws logged in (transcript) and no --registry: the ECR registry follows from the account', async (t) => {
  if (!needs(t, 'dist/mlw.js', existsSync(MLW), 'npm run build')) return;
  const ws = tempDir('mlw-cloud-cli-');
  const tr = transcripts({ aws: [AWS.callerIdentity, { match: ['configure', 'get', 'region'], stdout: 'ap-southeast-2\n' }] });
  const r = await mlw(ws, ['deploy', 'sagemaker', 'team/linear:0.1', '--json'], tr.dir);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { targetImage: string; region: string; missing: string[] };
  assert.equal(doc.region, 'ap-southeast-2');
  assert.equal(doc.targetImage, '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/linear:0.1');
  assert.deepEqual(
    doc.missing.map((m) => m.split(':')[0]),
    ['role'],
  );
});

test('ECR credentials: the real docker-credential-ecr-login with no AWS credentials, then aws ecr get-login-password (transcript)', async (t) => {
  const helper = await findOnPath('docker-credential-ecr-login');
  if (!needs(t, 'docker-credential-ecr-login', Boolean(helper), 'apt-get install amazon-ecr-credential-helper')) return;
  const home = tempDir('mlw-ecr-home-');
  const tr = transcripts({
    aws: [
      {
        match: ['ecr', 'describe-repositories'],
        stdout: JSON.stringify({ repositories: [{ repositoryName: 'linear', registryId: '123456789012' }] }),
      },
      { match: ['ecr', 'get-login-password'], stdout: 'eyJwYXlsb2FkIjoiZ2V0LWxvZ2luLXBhc3N3b3JkIn0=\n' },
    ],
  });
  const dep = renderCloudDeployment({
    platform: 'sagemaker',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'linear',
    role: ROLE,
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  });
  const logged: string[] = [];
  const env = { PATH: `${tr.dir}${path.delimiter}${path.dirname(helper!)}`, HOME: home };
  const auth = await cloudRegistryAuth(dep, { cli: tr.cli('aws'), log: (l) => logged.push(l), env });
  assert.deepEqual(auth, {
    username: 'AWS',
    password: 'eyJwYXlsb2FkIjoiZ2V0LWxvZ2luLXBhc3N3b3JkIn0=',
    serveraddress: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  });
  assert.ok(
    logged.some((l) => l.startsWith('docker-credential-ecr-login has no credentials for 123456789012.dkr.ecr.us-east-1.amazonaws.com')),
    logged.join('\n'),
  );
  assert.deepEqual(tr.calls(), [
    ['aws', 'ecr', 'describe-repositories', '--repository-names', 'linear', '--region', 'us-east-1', '--output', 'json'],
    ['aws', 'ecr', 'get-login-password', '--region', 'us-east-1'],
  ]);
});

test('SageMaker (transcripts): a wait that runs out names the status call; a cancel stops the wait at once', async () => {
  const creating = Array.from({ length: 200 }, () => AWS.describeEndpoint('linear', 'Creating'));
  const steps = [AWS.createModel('linear'), AWS.createEndpointConfig('linear'), AWS.createEndpoint('linear'), ...creating];
  const dep = renderCloudDeployment({
    platform: 'sagemaker',
    image: 'linear',
    name: 'linear',
    modelName: 'linear',
    role: ROLE,
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  });
  const slow = transcripts({ aws: steps });
  await assert.rejects(
    applyCloudDeployment(dep, { cli: slow.cli('aws'), cwd: tempDir('mlw-sm-'), log: () => undefined, pollMs: 100, timeoutMs: 1500 }),
    /^Error: linear was still Creating when the wait ran out; follow it with: aws sagemaker describe-endpoint --endpoint-name linear --region us-east-1 --output json$/,
  );
  const cancelled = transcripts({ aws: steps });
  const ac = new AbortController();
  const t0 = Date.now();
  const applying = applyCloudDeployment(dep, {
    cli: cancelled.cli('aws'),
    cwd: tempDir('mlw-sm-'),
    log: () => undefined,
    onStatus: () => setTimeout(() => ac.abort(), 50),
    signal: ac.signal,
    pollMs: 60_000,
  });
  await assert.rejects(applying, /cancelled/);
  assert.ok(Date.now() - t0 < 30_000, 'the cancel does not wait for the next poll');
});
