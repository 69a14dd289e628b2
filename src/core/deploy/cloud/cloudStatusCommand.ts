/** The CLI call that tells a deployed endpoint's status (what applyCloudDeployment polls, and what the user can run). */
import type { CloudDeployment, CloudPlatform } from './cloudTypes';

/** The status each platform reports once the endpoint serves (SageMaker EndpointStatus, Azure provisioning_state). */
export const CLOUD_READY_STATUS: Record<CloudPlatform, string> = { sagemaker: 'InService', vertex: 'DEPLOYED', azureml: 'Succeeded' };

/** The value after a flag in an argv array (`--region R` or `--region=R`). */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1];
    if (argv[i].startsWith(`${flag}=`)) return argv[i].slice(flag.length + 1);
  }
  return undefined;
}

export function cloudStatusCommand(dep: CloudDeployment): string[] {
  const first = dep.commands[0] ?? [];
  if (dep.platform === 'sagemaker')
    return ['aws', 'sagemaker', 'describe-endpoint', '--endpoint-name', dep.name, '--region', dep.region, '--output', 'json'];
  if (dep.platform === 'vertex') {
    const project = flagValue(first, '--project');
    return [
      'gcloud',
      'ai',
      'endpoints',
      'describe',
      dep.name,
      `--region=${dep.region}`,
      ...(project ? [`--project=${project}`] : []),
      '--format=json',
    ];
  }
  const scope = [
    '--resource-group',
    flagValue(first, '--resource-group') ?? '',
    '--workspace-name',
    flagValue(first, '--workspace-name') ?? '',
  ];
  return ['az', 'ml', 'online-endpoint', 'show', '--name', dep.name, ...scope, '--output', 'json'];
}
