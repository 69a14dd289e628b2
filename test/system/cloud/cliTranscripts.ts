/**
 * TRANSCRIPTS of the cloud CLIs (aws, gcloud, az): small executable fakes, put first on PATH (or passed as the CLI
 * path), that replay outputs recorded from each CLI's documented output and record every argv they get. No cloud
 * is reachable here and the real CLIs are not logged in; these are named transcripts, not the real thing.
 *
 * A step answers the first call whose argv starts with `match`; each step answers once, in order.
 */
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TranscriptStep {
  match: string[];
  stdout?: string;
  stderr?: string;
  code?: number;
}

export interface Transcripts {
  dir: string;
  /** The fake CLI's path for a name (aws, gcloud, az, docker-credential-ecr-login). */
  cli(name: string): string;
  /** Every argv the fakes got, in order, each as [name, ...args]. */
  calls(): string[][];
  remove(): void;
}

const FAKE = (execPath: string) => `#!${execPath}
const fs = require('node:fs');
const path = require('node:path');
const dir = __dirname;
const name = path.basename(process.argv[1]);
const args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'argv.jsonl'), JSON.stringify([name, ...args]) + '\\n');
const steps = JSON.parse(fs.readFileSync(path.join(dir, name + '.transcript.json'), 'utf8'));
const usedFile = path.join(dir, name + '.used.json');
const used = fs.existsSync(usedFile) ? JSON.parse(fs.readFileSync(usedFile, 'utf8')) : [];
const i = steps.findIndex((s, k) => !used.includes(k) && s.match.every((m, j) => args[j] === m));
if (i < 0) {
  process.stderr.write('transcript ' + name + ' has no answer for: ' + args.join(' ') + '\\n');
  process.exit(99);
}
used.push(i);
fs.writeFileSync(usedFile, JSON.stringify(used));
const s = steps[i];
if (name.startsWith('docker-credential-')) fs.readFileSync(0);
if (s.stdout) process.stdout.write(s.stdout);
if (s.stderr) process.stderr.write(s.stderr);
process.exitCode = s.code ?? 0;
`;

/** Writes fakes for each named CLI with its steps, in a fresh temporary folder. */
export function writeTranscripts(byCli: Record<string, TranscriptStep[]>): Transcripts {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlw-cli-transcripts-'));
  for (const [name, steps] of Object.entries(byCli)) {
    writeFileSync(path.join(dir, `${name}.transcript.json`), JSON.stringify(steps));
    const file = path.join(dir, name);
    writeFileSync(file, FAKE(process.execPath));
    chmodSync(file, 0o755);
  }
  appendFileSync(path.join(dir, 'argv.jsonl'), '');
  return {
    dir,
    cli: (name) => path.join(dir, name),
    calls: () =>
      existsSync(path.join(dir, 'argv.jsonl'))
        ? readFileSync(path.join(dir, 'argv.jsonl'), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 4)}\n`;

/** aws: recorded from the AWS CLI reference's example outputs (sts get-caller-identity, sagemaker create-*, describe-endpoint). */
export const AWS = {
  callerIdentity: {
    match: ['sts', 'get-caller-identity'],
    stdout: json({ UserId: 'AIDASAMPLEUSERID', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/DevAdmin' }),
  },
  /** What AWS CLI v2 prints with no credentials configured (exit 253: configuration or credentials invalid). */
  noCredentials: {
    match: ['sts', 'get-caller-identity'],
    stderr: '\nUnable to locate credentials. You can configure credentials by running "aws configure".\n',
    code: 253,
  },
  createModel: (name: string) => ({
    match: ['sagemaker', 'create-model'],
    stdout: json({ ModelArn: `arn:aws:sagemaker:us-east-1:123456789012:model/${name}` }),
  }),
  createEndpointConfig: (name: string) => ({
    match: ['sagemaker', 'create-endpoint-config'],
    stdout: json({ EndpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${name}-config` }),
  }),
  createEndpoint: (name: string) => ({
    match: ['sagemaker', 'create-endpoint'],
    stdout: json({ EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${name}` }),
  }),
  describeEndpoint: (name: string, status: string, failureReason?: string) => ({
    match: ['sagemaker', 'describe-endpoint'],
    stdout: json({
      EndpointName: name,
      EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${name}`,
      EndpointConfigName: `${name}-config`,
      EndpointStatus: status,
      ...(failureReason ? { FailureReason: failureReason } : {}),
      CreationTime: '2026-12-03T16:00:00.000000+00:00',
      LastModifiedTime: '2026-12-03T16:04:00.000000+00:00',
    }),
  }),
};

/** gcloud: recorded from the Google Cloud CLI's documented output (auth list, ai models/endpoints, operations). */
export const GCLOUD = {
  activeAccount: { match: ['auth', 'list'], stdout: 'ml-team@example.com\n' },
  noAccount: {
    match: ['auth', 'list'],
    stderr: 'No credentialed accounts.\n\nTo login, run:\n  $ gcloud auth login `ACCOUNT`\n\n',
  },
  upload: {
    match: ['ai', 'models', 'upload'],
    stderr: 'Using endpoint [https://us-central1-aiplatform.googleapis.com/]\nWaiting for operation [8812396582947618816]...done.\n',
  },
  createEndpoint: (name: string) => ({
    match: ['ai', 'endpoints', 'create'],
    stderr: `Using endpoint [https://us-central1-aiplatform.googleapis.com/]\nWaiting for operation [2245934750913888256]...done.\nCreated Vertex AI endpoint: projects/123456789012/locations/us-central1/endpoints/${name}.\n`,
  }),
  deployModel: (name: string) => ({
    match: ['ai', 'endpoints', 'deploy-model'],
    stderr: `Using endpoint [https://us-central1-aiplatform.googleapis.com/]\nWaiting for operation [5712374689023623168]...done.\nDeployed a model to the endpoint ${name}. Id of the deployed model: 6437298720912883712.\n`,
  }),
  deployFailed: {
    match: ['ai', 'endpoints', 'deploy-model'],
    stderr:
      'Using endpoint [https://us-central1-aiplatform.googleapis.com/]\nWaiting for operation [5712374689023623168]...failed.\nERROR: (gcloud.ai.endpoints.deploy-model) {\n  "code": 3,\n  "message": "Model server never became ready. Please validate that your model file or container configuration are valid."\n}\n',
    code: 1,
  },
  describe: (name: string) => ({
    match: ['ai', 'endpoints', 'describe'],
    stdout: json({
      name: `projects/123456789012/locations/us-central1/endpoints/${name}`,
      displayName: name,
      deployedModels: [
        {
          id: '6437298720912883712',
          model: `projects/123456789012/locations/us-central1/models/${name}`,
          displayName: name,
          dedicatedResources: { machineSpec: { machineType: 'n1-standard-2' }, minReplicaCount: 1, maxReplicaCount: 1 },
        },
      ],
      trafficSplit: { '6437298720912883712': 100 },
    }),
  }),
};

/** az: recorded from the Azure CLI's documented output (account show, ml online-endpoint / online-deployment). */
export const AZ = {
  account: {
    match: ['account', 'show'],
    stdout: json({
      environmentName: 'AzureCloud',
      id: '00000000-1111-2222-3333-444444444444',
      isDefault: true,
      name: 'ML Team Subscription',
      state: 'Enabled',
      tenantId: '55555555-6666-7777-8888-999999999999',
      user: { name: 'ml-team@example.com', type: 'user' },
    }),
  },
  notLoggedIn: { match: ['account', 'show'], stderr: "Please run 'az login' to setup account.\n", code: 1 },
  endpointCreate: (name: string) => ({
    match: ['ml', 'online-endpoint', 'create'],
    stdout: json({
      auth_mode: 'key',
      name,
      provisioning_state: 'Succeeded',
      scoring_uri: `https://${name}.eastus.inference.ml.azure.com/score`,
    }),
  }),
  deploymentCreate: (name: string) => ({
    match: ['ml', 'online-deployment', 'create'],
    stderr: `Check: endpoint ${name} exists\n...........................\n`,
    stdout: json({ name: 'blue', endpoint_name: name, provisioning_state: 'Succeeded', instance_type: 'Standard_DS3_v2' }),
  }),
  endpointShow: (name: string, state: string) => ({
    match: ['ml', 'online-endpoint', 'show'],
    stdout: json({
      auth_mode: 'key',
      name,
      provisioning_state: state,
      scoring_uri: `https://${name}.eastus.inference.ml.azure.com/score`,
      traffic: { blue: 100 },
    }),
  }),
};
