/**
 * SageMaker real-time endpoint: the request bodies of CreateModel, CreateEndpointConfig and CreateEndpoint (API
 * reference field names), each used with `aws sagemaker create-… --cli-input-json file://…`. The image is run as
 * SageMaker runs it (`docker run IMAGE serve`, port 8080); no ModelDataUrl: the image serves its own model.
 */
import { withSuffix } from './cloudNames';
import type { CloudDeployOptions, CloudDeployment } from './cloudTypes';

export const SAGEMAKER_DEFAULTS = { region: 'us-east-1', instanceType: 'ml.m5.large' };
export const ROLE_PLACEHOLDER = 'arn:aws:iam::ACCOUNT_ID:role/REPLACE-WITH-SAGEMAKER-EXECUTION-ROLE';
/** From the CreateModel reference: ExecutionRoleArn's pattern. */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
/** ACCOUNT.dkr.ecr.REGION.amazonaws.com */
export const ECR_REGISTRY = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export function renderSagemaker(o: CloudDeployOptions, target: { repo: string; tag: string }): CloudDeployment {
  const region = o.region ?? SAGEMAKER_DEFAULTS.region;
  const instanceType = o.instanceType ?? SAGEMAKER_DEFAULTS.instanceType;
  const missing: string[] = [];
  if (!o.role) missing.push('role: give --role arn:aws:iam::ACCOUNT_ID:role/NAME, an execution role SageMaker assumes to pull from ECR');
  else if (!ROLE_ARN.test(o.role)) throw new Error(`--role "${o.role}" is not an IAM role ARN (arn:aws:iam::ACCOUNT_ID:role/NAME)`);
  if (!instanceType.startsWith('ml.'))
    throw new Error(`--instance-type "${instanceType}" is not a SageMaker instance type (they start with "ml.", e.g. ml.m5.large)`);
  const registry = o.registry ?? `ACCOUNT_ID.dkr.ecr.${region}.amazonaws.com`;
  if (!o.registry)
    missing.push(`registry: give --registry ACCOUNT_ID.dkr.ecr.${region}.amazonaws.com (aws sts get-caller-identity shows the account)`);
  const targetImage = `${registry}/${target.repo}:${target.tag}`;
  const modelName = o.name;
  const configName = withSuffix('sagemaker', o.name, '-config');
  const model = {
    ModelName: modelName,
    ExecutionRoleArn: o.role ?? ROLE_PLACEHOLDER,
    PrimaryContainer: {
      Image: targetImage,
      Mode: 'SingleModel',
      Environment: { MLW_PLATFORM: 'sagemaker', SAGEMAKER_BIND_TO_PORT: '8080' },
    },
    Tags: [{ Key: 'mlw:model', Value: o.modelName.slice(0, 256) }],
  };
  const endpointConfig = {
    EndpointConfigName: configName,
    ProductionVariants: [
      { VariantName: 'AllTraffic', ModelName: modelName, InstanceType: instanceType, InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ],
  };
  const endpoint = { EndpointName: o.name, EndpointConfigName: configName };
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  const aws = (verb: string, file: string) => ['aws', 'sagemaker', verb, '--region', region, '--cli-input-json', `file://${file}`];
  return {
    platform: 'sagemaker',
    name: o.name,
    region,
    instanceType,
    targetImage,
    files: [
      { path: 'model.json', content: json(model) },
      { path: 'endpoint-config.json', content: json(endpointConfig) },
      { path: 'endpoint.json', content: json(endpoint) },
    ],
    commands: [
      aws('create-model', 'model.json'),
      aws('create-endpoint-config', 'endpoint-config.json'),
      aws('create-endpoint', 'endpoint.json'),
    ],
    missing,
  };
}
