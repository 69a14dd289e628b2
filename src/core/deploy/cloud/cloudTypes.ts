/**
 * One shape for a model image deployed to a managed cloud endpoint (SageMaker, Vertex AI, Azure ML): what the user
 * reviews (files), what runs after the image is pushed (argv arrays), and what is still missing before it can run.
 */
export type CloudPlatform = 'sagemaker' | 'vertex' | 'azureml';

export const CLOUD_PLATFORMS: readonly CloudPlatform[] = ['sagemaker', 'vertex', 'azureml'];

export interface CloudDeployOptions {
  platform: CloudPlatform;
  /** The local image reference (as built by containerize). */
  image: string;
  /** The endpoint name (also names the model and endpoint config); see cloudEndpointName. */
  name: string;
  /** The model the image serves (its OIP name), for display names and tags. */
  modelName: string;
  region?: string;
  instanceType?: string;
  /** SageMaker: the execution role ARN the model runs as (it pulls the image from ECR). */
  role?: string;
  /** Vertex AI: the Google Cloud project. */
  project?: string;
  /** Azure ML: the resource group and workspace. */
  resourceGroup?: string;
  workspaceName?: string;
  /**
   * The platform registry to push to: ACCOUNT.dkr.ecr.REGION.amazonaws.com (SageMaker),
   * REGION-docker.pkg.dev/PROJECT/REPO (Vertex AI), NAME.azurecr.io (Azure ML).
   */
  registry?: string;
}

export interface CloudDeployment {
  platform: CloudPlatform;
  name: string;
  region: string;
  instanceType: string;
  /** The image reference in the platform's registry. */
  targetImage: string;
  /** Relative to the out dir: what the user reviews and what the CLI reads. */
  files: { path: string; content: string }[];
  /** argv arrays, in order, run after the push (with the out dir as working directory). */
  commands: string[][];
  /** Values still needed before --apply can run (e.g. 'role'), each a one-line hint. */
  missing: string[];
}

/** The CLI each platform is driven through. */
export const CLOUD_CLI: Record<CloudPlatform, string> = { sagemaker: 'aws', vertex: 'gcloud', azureml: 'az' };

export const CLOUD_TITLE: Record<CloudPlatform, string> = { sagemaker: 'SageMaker', vertex: 'Vertex AI', azureml: 'Azure ML' };
