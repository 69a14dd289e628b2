/**
 * Rendered cloud deployments checked against each platform's published schema facts (written out below with
 * their source), the endpoint name rules, the shell quoting of the printed commands, and what is saved.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { checkEndpointName, cloudEndpointName } from '../../../src/core/deploy/cloud/cloudNames';
import { cloudPushSteps } from '../../../src/core/deploy/cloud/cloudPushSteps';
import { formatCommands, shellQuote } from '../../../src/core/deploy/cloud/formatCommands';
import { renderCloudDeployment } from '../../../src/core/deploy/cloud/renderCloudDeployment';
import { saveCloudDeployment } from '../../../src/core/deploy/cloud/saveCloudDeployment';
import { platformContract } from '../../../src/core/serve/platform/platformContract';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mlw-cloud-render-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const file = (dep: { files: { path: string; content: string }[] }, name: string): string => {
  const f = dep.files.find((x) => x.path === name);
  assert.ok(f, `${name} is rendered`);
  return f.content;
};

// Amazon SageMaker API Reference: CreateModel, ContainerDefinition, CreateEndpointConfig, ProductionVariant,
// CreateEndpoint (Request Syntax, Request Parameters: required, length constraints, patterns, valid values).
const SM = {
  namePattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, // ModelName, EndpointConfigName, EndpointName, VariantName; max 63
  roleArn: /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/, // ExecutionRoleArn, length 20..2048
  envKey: /^[a-zA-Z_][a-zA-Z0-9_]*$/, // ContainerDefinition.Environment key, max 1024; at most 100 entries
  modes: ['SingleModel', 'MultiModel'], // ContainerDefinition.Mode
  imageMax: 255, // ContainerDefinition.Image, pattern [\S]+
};

test('SageMaker: CreateModel, CreateEndpointConfig and CreateEndpoint bodies meet the API reference', () => {
  const role = 'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole';
  const dep = renderCloudDeployment({
    platform: 'sagemaker',
    image: 'team/Conv2d_Net:v3',
    name: 'conv2d-net',
    modelName: 'Conv2d_Net',
    region: 'eu-west-1',
    instanceType: 'ml.c5.xlarge',
    role,
    registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  });
  assert.deepEqual(dep.missing, []);
  const model = JSON.parse(file(dep, 'model.json')) as {
    ModelName: string;
    ExecutionRoleArn: string;
    PrimaryContainer: { Image: string; Mode: string; Environment: Record<string, string> };
  };
  assert.match(model.ModelName, SM.namePattern);
  assert.match(model.ExecutionRoleArn, SM.roleArn);
  assert.equal(model.PrimaryContainer.Image, '123456789012.dkr.ecr.eu-west-1.amazonaws.com/conv2d_net:v3');
  assert.ok(model.PrimaryContainer.Image.length <= SM.imageMax && /^\S+$/.test(model.PrimaryContainer.Image));
  assert.ok(SM.modes.includes(model.PrimaryContainer.Mode));
  for (const [k, v] of Object.entries(model.PrimaryContainer.Environment)) {
    assert.match(k, SM.envKey);
    assert.ok(v.length <= 1024);
  }
  // The image's own contract: SageMaker runs `IMAGE serve`; with this environment it serves on 8080.
  const contract = platformContract(['serve'], { ...model.PrimaryContainer.Environment, MLW_MODEL: '/srv/model.onnx' });
  assert.equal(contract?.platform, 'sagemaker');
  assert.deepEqual(contract?.args.slice(-3), ['--port', '8080', '/srv/model.onnx']);

  const config = JSON.parse(file(dep, 'endpoint-config.json')) as {
    EndpointConfigName: string;
    ProductionVariants: { VariantName: string; ModelName: string; InstanceType: string; InitialInstanceCount: number }[];
  };
  assert.match(config.EndpointConfigName, SM.namePattern);
  assert.ok(config.ProductionVariants.length >= 1 && config.ProductionVariants.length <= 10);
  const v = config.ProductionVariants[0];
  assert.match(v.VariantName, SM.namePattern);
  assert.equal(v.ModelName, model.ModelName);
  assert.equal(v.InstanceType, 'ml.c5.xlarge');
  assert.ok(Number.isInteger(v.InitialInstanceCount) && v.InitialInstanceCount >= 1);

  const endpoint = JSON.parse(file(dep, 'endpoint.json')) as { EndpointName: string; EndpointConfigName: string };
  assert.deepEqual(endpoint, { EndpointName: 'conv2d-net', EndpointConfigName: config.EndpointConfigName });
  assert.equal(dep.targetImage, model.PrimaryContainer.Image);
});

test('SageMaker: a 63-character name keeps the config name within 63; no role or registry is listed as missing', () => {
  const name = `a${'b'.repeat(62)}`;
  const dep = renderCloudDeployment({ platform: 'sagemaker', image: 'm', name, modelName: 'm' });
  const config = JSON.parse(file(dep, 'endpoint-config.json')) as { EndpointConfigName: string };
  assert.ok(config.EndpointConfigName.length <= 63);
  assert.match(config.EndpointConfigName, SM.namePattern);
  assert.deepEqual(
    dep.missing.map((m) => m.split(':')[0]),
    ['role', 'registry'],
  );
  assert.throws(
    () => renderCloudDeployment({ platform: 'sagemaker', image: 'm', name: 'm', modelName: 'm', role: 'admin' }),
    /--role "admin" is not an IAM role ARN/,
  );
  assert.throws(
    () => renderCloudDeployment({ platform: 'sagemaker', image: 'm', name: 'm', modelName: 'm', instanceType: 'm5.large' }),
    /not a SageMaker instance type \(they start with "ml\."/,
  );
});

// Vertex AI REST reference, projects.locations.models (Model, ModelContainerSpec, Port, EnvVar): displayName
// required, at most 128 characters; containerSpec.imageUri required; ports[].containerPort 1..65535 (requests go to
// the first); labels: keys and values at most 63, lowercase letters, digits, '_' and '-'. Endpoint id (letter first):
// [a-z0-9-], at most 63; model id: [a-z0-9_-], at most 63, no leading digit or hyphen.
test("Vertex AI: the Model resource and the gcloud calls meet the API reference and the image's AIP contract", () => {
  const dep = renderCloudDeployment({
    platform: 'vertex',
    image: 'team/linear:0.1',
    name: 'linear',
    modelName: 'Linear_Model',
    project: 'ml-team-prod',
    region: 'europe-west4',
  });
  const model = JSON.parse(file(dep, 'model.json')) as {
    displayName: string;
    labels: Record<string, string>;
    containerSpec: {
      imageUri: string;
      ports: { containerPort: number }[];
      healthRoute: string;
      predictRoute: string;
      env: { name: string; value: string }[];
    };
  };
  assert.ok(model.displayName.length >= 1 && model.displayName.length <= 128);
  assert.equal(model.containerSpec.imageUri, 'europe-west4-docker.pkg.dev/ml-team-prod/mlw/linear:0.1');
  assert.ok(model.containerSpec.ports[0].containerPort >= 1 && model.containerSpec.ports[0].containerPort <= 65535);
  for (const [k, v] of Object.entries(model.labels)) assert.match(`${k}=${v}`, /^[a-z][a-z0-9_-]{0,62}=[a-z0-9_-]{0,63}$/);
  assert.match(dep.name, /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/);
  // Vertex passes the first port and the routes in as AIP_HTTP_PORT, AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE:
  const contract = platformContract([], {
    AIP_HTTP_PORT: String(model.containerSpec.ports[0].containerPort),
    AIP_HEALTH_ROUTE: model.containerSpec.healthRoute,
    AIP_PREDICT_ROUTE: model.containerSpec.predictRoute,
    MLW_MODEL: '/srv/m.onnx',
  });
  assert.equal(contract?.platform, 'vertex');
  const upload = dep.commands[0];
  assert.deepEqual(upload.slice(0, 4), ['gcloud', 'ai', 'models', 'upload']);
  assert.ok(upload.includes(`--container-image-uri=${model.containerSpec.imageUri}`));
  assert.ok(upload.includes(`--container-health-route=${model.containerSpec.healthRoute}`));
  assert.ok(upload.includes(`--container-predict-route=${model.containerSpec.predictRoute}`));
  assert.ok(dep.commands[2].includes('--machine-type=n1-standard-2'));
  assert.deepEqual(
    renderCloudDeployment({ platform: 'vertex', image: 'x', name: 'x', modelName: 'x' }).missing.map((m) => m.split(':')[0]),
    ['project'],
  );
});

// Azure ML CLI v2 YAML schemas: managedOnlineEndpoint.schema.json (name required; auth_mode one of key, aml_token,
// aad_token) and managedOnlineDeployment.schema.json (name, endpoint_name, environment with image and
// inference_config whose liveness_route, readiness_route and scoring_route each have port and path; instance_type;
// instance_count an integer >= 1). Endpoint names: 3 to 32, a letter first, letters, digits and '-'.
test('Azure ML: endpoint.yml and deployment.yml meet the v2 schemas, and their routes are the ones the image serves', () => {
  const dep = renderCloudDeployment({
    platform: 'azureml',
    image: 'team/linear:0.1',
    name: 'linear-ep',
    modelName: 'linear',
    resourceGroup: 'ml-rg',
    workspaceName: 'ml-ws',
    registry: 'mlteamacr.azurecr.io',
    instanceType: 'Standard_F4s_v2',
  });
  assert.deepEqual(dep.missing, []);
  const ep = parse(file(dep, 'endpoint.yml')) as { $schema: string; name: string; auth_mode: string };
  assert.match(ep.$schema, /managedOnlineEndpoint\.schema\.json$/);
  assert.match(ep.name, /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/);
  assert.ok(['key', 'aml_token', 'aad_token'].includes(ep.auth_mode));
  type Route = { port: number; path: string };
  const d = parse(file(dep, 'deployment.yml')) as {
    $schema: string;
    name: string;
    endpoint_name: string;
    environment: { image: string; inference_config: { liveness_route: Route; readiness_route: Route; scoring_route: Route } };
    environment_variables: Record<string, string>;
    instance_type: string;
    instance_count: number;
  };
  assert.match(d.$schema, /managedOnlineDeployment\.schema\.json$/);
  assert.match(d.name, /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/);
  assert.equal(d.endpoint_name, ep.name);
  assert.equal(d.environment.image, 'mlteamacr.azurecr.io/linear:0.1');
  assert.equal(d.instance_type, 'Standard_F4s_v2');
  assert.ok(Number.isInteger(d.instance_count) && d.instance_count >= 1);
  for (const r of Object.values(d.environment.inference_config)) {
    assert.ok(Number.isInteger(r.port) && r.path.startsWith('/'));
  }
  for (const v of Object.values(d.environment_variables)) assert.equal(typeof v, 'string', 'environment variable values are strings');
  // The image's Azure adapter, started with these variables, listens on the routes' port and serves their paths.
  const contract = platformContract([], { ...d.environment_variables, MLW_MODEL: '/srv/m.onnx' });
  assert.equal(contract?.platform, 'azureml');
  const ic = d.environment.inference_config;
  assert.ok(contract?.args.join(' ').includes(`--port ${ic.scoring_route.port}`));
  const adapter = contract!.adapters[0];
  for (const r of [ic.liveness_route, ic.readiness_route, ic.scoring_route])
    assert.ok(adapter.route(r.path), `the adapter serves ${r.path}`);
});

test("endpoint names: each platform's rule, and a valid name made from any image name", () => {
  assert.equal(checkEndpointName('sagemaker', 'Linear-1'), undefined);
  assert.match(checkEndpointName('sagemaker', 'linear_1') ?? '', /not a valid sagemaker endpoint name/);
  assert.match(checkEndpointName('vertex', 'Linear') ?? '', /lowercase/);
  assert.match(checkEndpointName('azureml', 'ab') ?? '', /3 to 32/);
  assert.equal(cloudEndpointName('sagemaker', 'Conv2d_Net.v2'), 'conv2d-net-v2');
  assert.equal(cloudEndpointName('azureml', 'x'), 'x-endpoint');
  assert.equal(cloudEndpointName('azureml', 'a'.repeat(40)).length, 32);
  assert.equal(cloudEndpointName('vertex', '9lives'), 'lives');
  assert.throws(() => renderCloudDeployment({ platform: 'azureml', image: 'x', name: 'no', modelName: 'x' }), /give another with --name/);
});

test('commands print shell-quoted, with the status call to follow; saving writes the files and commands.sh', async () => {
  assert.equal(shellQuote('file://model.json'), 'file://model.json');
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
  assert.equal(shellQuote(''), "''");
  const dep = renderCloudDeployment({ platform: 'vertex', image: 'linear', name: 'linear', modelName: 'm', project: 'p-1' });
  const text = formatCommands(dep);
  assert.match(text, /^gcloud ai models upload --region=us-central1 --project=p-1 /);
  assert.match(text, /# gcloud ai endpoints describe linear --region=us-central1 --project=p-1 --format=json\n$/);
  const written = await saveCloudDeployment(dep, path.join(tmp, 'vx'));
  assert.deepEqual(written, [path.join(tmp, 'vx', 'model.json'), path.join(tmp, 'vx', 'commands.sh')]);
  assert.equal(readFileSync(written[1], 'utf8'), `#!/bin/sh\nset -e\n${text}`);
  const steps = cloudPushSteps(dep, 'linear');
  assert.deepEqual(steps.commands.at(-1), ['mlw', 'deploy', 'push', 'linear', 'us-central1-docker.pkg.dev/p-1/mlw/linear:latest']);
});
