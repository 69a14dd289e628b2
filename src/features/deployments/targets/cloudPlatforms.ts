import { CLOUD_CLI, CLOUD_TITLE, type CloudDeployOptions, type CloudPlatform } from '../../../core/deploy/cloud/cloudTypes';
import { checkEndpointName } from '../../../core/deploy/cloud/cloudNames';
import { ECR_REGISTRY, ROLE_ARN, SAGEMAKER_DEFAULTS } from '../../../core/deploy/cloud/renderSagemaker';
import { ARTIFACT_REGISTRY, VERTEX_DEFAULTS } from '../../../core/deploy/cloud/renderVertex';
import { ACR_REGISTRY, AZUREML_DEFAULTS } from '../../../core/deploy/cloud/renderAzureml';

export type InputKey = 'region' | 'instanceType' | 'role' | 'project' | 'resourceGroup' | 'workspaceName' | 'registry';

/** The answers kept per platform in workspace state, so the next deployment asks with them filled in. */
export type RememberedInputs = Partial<Pick<CloudDeployOptions, InputKey>>;

/** One question of the Deploy to <platform> input, after the endpoint name. */
export interface CloudInput {
  key: InputKey;
  prompt: string;
  placeHolder?: string;
  /** The suggestion when nothing was entered before: the platform's default, or one made from earlier answers. */
  fallback: (answers: RememberedInputs, account?: string) => string;
  /** May be left empty: the files are rendered with a placeholder and the review names what is missing. */
  optional?: boolean;
  validate: (v: string) => string | undefined;
}

export interface CloudPlatformUi {
  platform: CloudPlatform;
  /** As the platform's owner names it, for titles and messages. */
  label: string;
  /** The CLI that deploys it. */
  cli: string;
  inputs: CloudInput[];
}

const matches =
  (re: RegExp, message: string, optional = false) =>
  (v: string) =>
    (optional && !v.trim()) || re.test(v.trim()) ? undefined : message;
const none = () => '';
/** The CLIs' own environment variables (AWS_REGION, CLOUDSDK_CORE_PROJECT…) make the first suggestions. */
const env = (name: string) => process.env[name]?.trim() || undefined;

const SAGEMAKER: CloudInput[] = [
  {
    key: 'region',
    prompt: 'AWS region',
    fallback: () => env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? SAGEMAKER_DEFAULTS.region,
    validate: matches(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'An AWS region such as us-east-1 or eu-west-1'),
  },
  {
    key: 'instanceType',
    prompt: 'Instance type of the endpoint (ml.m5.large: 2 vCPU, 8 GiB; ml.c5.xlarge: 4 vCPU, 8 GiB; ml.g5.xlarge: 1 GPU)',
    fallback: () => SAGEMAKER_DEFAULTS.instanceType,
    validate: matches(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'A SageMaker instance type such as ml.m5.large'),
  },
  {
    key: 'role',
    prompt: 'IAM execution role ARN that SageMaker assumes to pull the image from ECR (empty: fill it in later)',
    placeHolder: 'arn:aws:iam::123456789012:role/SageMakerExecutionRole',
    fallback: none,
    optional: true,
    validate: matches(ROLE_ARN, 'An IAM role ARN: arn:aws:iam::ACCOUNT_ID:role/NAME', true),
  },
  {
    key: 'registry',
    prompt: 'ECR registry the image is pushed to (empty: fill it in later)',
    placeHolder: 'ACCOUNT_ID.dkr.ecr.REGION.amazonaws.com',
    // Logged in, the CLI names the account: its registry in the chosen region.
    fallback: (a, account) =>
      account && /^\d{12}$/.test(account) ? `${account}.dkr.ecr.${a.region ?? SAGEMAKER_DEFAULTS.region}.amazonaws.com` : '',
    optional: true,
    validate: matches(ECR_REGISTRY, 'An ECR registry: ACCOUNT_ID.dkr.ecr.REGION.amazonaws.com', true),
  },
];

const VERTEX: CloudInput[] = [
  {
    key: 'project',
    prompt: 'Google Cloud project ID (empty: fill it in later)',
    placeHolder: 'my-project',
    fallback: () => env('CLOUDSDK_CORE_PROJECT') ?? '',
    optional: true,
    validate: matches(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'A project ID: 6 to 30 lower-case letters, digits and "-", a letter first', true),
  },
  {
    key: 'region',
    prompt: 'Vertex AI region',
    fallback: () => env('CLOUDSDK_AI_REGION') ?? VERTEX_DEFAULTS.region,
    validate: matches(/^[a-z]+-[a-z]+\d+$/, 'A Google Cloud region such as us-central1 or europe-west4'),
  },
  {
    key: 'instanceType',
    prompt: 'Machine type of the endpoint (n1-standard-2: 2 vCPU, 7.5 GB; n1-standard-4: 4 vCPU, 15 GB)',
    fallback: () => VERTEX_DEFAULTS.instanceType,
    validate: matches(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, 'A Compute Engine machine type such as n1-standard-2'),
  },
  {
    key: 'registry',
    prompt: 'Artifact Registry repository the image is pushed to',
    placeHolder: 'REGION-docker.pkg.dev/PROJECT/REPOSITORY',
    fallback: (a) => (a.project ? `${a.region ?? VERTEX_DEFAULTS.region}-docker.pkg.dev/${a.project}/${VERTEX_DEFAULTS.repository}` : ''),
    optional: true,
    validate: matches(ARTIFACT_REGISTRY, 'An Artifact Registry repository: REGION-docker.pkg.dev/PROJECT/REPOSITORY', true),
  },
];

// No region: an Azure ML online endpoint lives in its workspace's region.
const AZUREML: CloudInput[] = [
  {
    key: 'resourceGroup',
    prompt: 'Resource group of the Azure ML workspace (empty: fill it in later)',
    fallback: none,
    optional: true,
    validate: matches(/^[-\w.()]{1,90}$/, 'A resource group name: letters, digits, "-", "_", ".", "(" and ")"', true),
  },
  {
    key: 'workspaceName',
    prompt: 'Azure ML workspace name (empty: fill it in later)',
    fallback: none,
    optional: true,
    validate: matches(/^[a-zA-Z0-9][-\w]{2,32}$/, 'A workspace name: 3 to 33 letters, digits, "-" and "_"', true),
  },
  {
    key: 'instanceType',
    prompt: 'VM size of the deployment (Standard_DS3_v2: 4 vCPU, 14 GiB; Standard_F4s_v2: 4 vCPU, 8 GiB)',
    fallback: () => AZUREML_DEFAULTS.instanceType,
    validate: matches(/^Standard_[A-Za-z0-9_]+$/, 'An Azure VM size such as Standard_DS3_v2'),
  },
  {
    key: 'registry',
    prompt: "Azure Container Registry the image is pushed to (the workspace's: az ml workspace show --query container_registry)",
    placeHolder: 'NAME.azurecr.io',
    fallback: none,
    optional: true,
    validate: matches(ACR_REGISTRY, 'An Azure Container Registry: NAME.azurecr.io', true),
  },
];

export const PLATFORM_INPUTS: Record<CloudPlatform, CloudPlatformUi> = {
  sagemaker: { platform: 'sagemaker', label: CLOUD_TITLE.sagemaker, cli: CLOUD_CLI.sagemaker, inputs: SAGEMAKER },
  vertex: { platform: 'vertex', label: CLOUD_TITLE.vertex, cli: CLOUD_CLI.vertex, inputs: VERTEX },
  azureml: { platform: 'azureml', label: CLOUD_TITLE.azureml, cli: CLOUD_CLI.azureml, inputs: AZUREML },
};

/** Why the endpoint name cannot be used, as the name box shows it. */
export function endpointNameProblem(platform: CloudPlatform, name: string): string | undefined {
  return checkEndpointName(platform, name)?.replace(/^"[^"]*" is not a valid \w+ endpoint name: /, 'Use ');
}

export function rememberedKey(platform: CloudPlatform): string {
  return `mlWorkbench.cloudDeploy.${platform}`;
}
