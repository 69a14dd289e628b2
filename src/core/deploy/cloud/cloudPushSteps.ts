/**
 * What to run by hand to push the image to the platform registry when mlw cannot (no CLI, not logged in, no
 * --apply): create the repository, let Docker log in to the registry, then push (mlw deploy push uses what
 * docker login or the configured credential helper left).
 */
import { repositoryName } from './cloudNames';
import { registryHost } from './cloudRegistryAuth';
import type { CloudDeployment } from './cloudTypes';

export interface PushSteps {
  commands: string[][];
  /** One line on the credentials the push needs. */
  note: string;
}

export function cloudPushSteps(dep: CloudDeployment, image: string): PushSteps {
  const host = registryHost(dep.targetImage);
  const push = ['mlw', 'deploy', 'push', image, dep.targetImage];
  if (dep.platform === 'sagemaker')
    return {
      commands: [['aws', 'ecr', 'create-repository', '--repository-name', repositoryName(dep.targetImage), '--region', dep.region], push],
      note: `Credentials for ${host}: apt-get install amazon-ecr-credential-helper, and in ~/.docker/config.json set "credHelpers": {"${host}": "ecr-login"}`,
    };
  if (dep.platform === 'vertex') {
    const [, project, repo] = dep.targetImage.split('/');
    return {
      commands: [
        [
          'gcloud',
          'artifacts',
          'repositories',
          'create',
          repo,
          '--repository-format=docker',
          `--location=${dep.region}`,
          `--project=${project}`,
        ],
        ['gcloud', 'auth', 'configure-docker', host],
        push,
      ],
      note: `Credentials for ${host}: gcloud auth configure-docker names gcloud as its credential helper`,
    };
  }
  return {
    commands: [['az', 'acr', 'login', '--name', host.replace(/\.azurecr\.io$/, '')], push],
    note: `Credentials for ${host}: az acr login runs docker login for it`,
  };
}
