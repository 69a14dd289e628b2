/**
 * Azure ML managed online endpoint: endpoint.yml (managedOnlineEndpoint: name, auth_mode) and deployment.yml
 * (managedOnlineDeployment: the image as its environment, inference_config routes with their port, the
 * environment variables that point the image's Azure adapter at those routes, instance type and count), applied with
 * `az ml online-endpoint create -f` and `az ml online-deployment create -f --all-traffic`.
 */
import { stringify } from 'yaml';
import type { CloudDeployOptions, CloudDeployment } from './cloudTypes';

export const AZUREML_DEFAULTS = { region: 'workspace region', instanceType: 'Standard_DS3_v2', deployment: 'blue' };
export const AZUREML_ROUTES = { port: 5001, liveness: '/live', readiness: '/ready', scoring: '/score' };
/** NAME.azurecr.io: a registry name is 5 to 50 alphanumerics. */
export const ACR_REGISTRY = /^([a-zA-Z0-9]{5,50})\.azurecr\.io$/;
export const ENDPOINT_SCHEMA = 'https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json';
export const DEPLOYMENT_SCHEMA = 'https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json';

export function renderAzureml(o: CloudDeployOptions, target: { repo: string; tag: string }): CloudDeployment {
  const region = o.region ?? AZUREML_DEFAULTS.region;
  const instanceType = o.instanceType ?? AZUREML_DEFAULTS.instanceType;
  const missing: string[] = [];
  if (!o.resourceGroup) missing.push('resource group: give --resource-group G (az ml workspace list shows them)');
  if (!o.workspaceName) missing.push('workspace: give --workspace-name W (the Azure ML workspace)');
  if (!o.registry)
    missing.push("registry: give --registry NAME.azurecr.io (az ml workspace show --query container_registry names the workspace's)");
  const targetImage = `${o.registry ?? 'REGISTRY_NAME.azurecr.io'}/${target.repo}:${target.tag}`;
  const r = AZUREML_ROUTES;
  const endpoint = {
    $schema: ENDPOINT_SCHEMA,
    name: o.name,
    auth_mode: 'key',
    tags: { 'mlw-model': o.modelName },
  };
  const deployment = {
    $schema: DEPLOYMENT_SCHEMA,
    name: AZUREML_DEFAULTS.deployment,
    endpoint_name: o.name,
    environment: {
      name: `${o.name}-image`,
      image: targetImage,
      inference_config: {
        liveness_route: { port: r.port, path: r.liveness },
        readiness_route: { port: r.port, path: r.readiness },
        scoring_route: { port: r.port, path: r.scoring },
      },
    },
    environment_variables: {
      MLW_PLATFORM: 'azureml',
      MLW_AZUREML_PORT: String(r.port),
      MLW_AZUREML_LIVENESS_ROUTE: r.liveness,
      MLW_AZUREML_READINESS_ROUTE: r.readiness,
      MLW_AZUREML_SCORING_ROUTE: r.scoring,
    },
    instance_type: instanceType,
    instance_count: 1,
  };
  const scope = ['--resource-group', o.resourceGroup ?? 'RESOURCE_GROUP', '--workspace-name', o.workspaceName ?? 'WORKSPACE'];
  return {
    platform: 'azureml',
    name: o.name,
    region,
    instanceType,
    targetImage,
    files: [
      { path: 'endpoint.yml', content: stringify(endpoint) },
      { path: 'deployment.yml', content: stringify(deployment) },
    ],
    commands: [
      ['az', 'ml', 'online-endpoint', 'create', '--file', 'endpoint.yml', ...scope],
      ['az', 'ml', 'online-deployment', 'create', '--file', 'deployment.yml', ...scope, '--all-traffic'],
    ],
    missing,
  };
}
