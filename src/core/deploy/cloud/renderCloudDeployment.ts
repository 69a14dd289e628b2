/** Renders a cloud deployment for review: the platform's own request files and the CLI calls that apply them. Pure. */
import { checkEndpointName, imageTag, repositoryName } from './cloudNames';
import type { CloudDeployOptions, CloudDeployment } from './cloudTypes';
import { renderAzureml } from './renderAzureml';
import { renderSagemaker } from './renderSagemaker';
import { renderVertex } from './renderVertex';

export function renderCloudDeployment(opts: CloudDeployOptions): CloudDeployment {
  const bad = checkEndpointName(opts.platform, opts.name);
  if (bad) throw new Error(`${bad} (give another with --name)`);
  if (!opts.image.trim()) throw new Error('no image to deploy: give the image built by mlw containerize');
  const target = { repo: repositoryName(opts.image), tag: imageTag(opts.image) };
  const registry = opts.registry?.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const o = { ...opts, registry: registry || undefined };
  switch (opts.platform) {
    case 'sagemaker':
      return renderSagemaker(o, target);
    case 'vertex':
      return renderVertex(o, target);
    case 'azureml':
      return renderAzureml(o, target);
    default:
      throw new Error(`unknown platform "${String(opts.platform)}": use sagemaker, vertex or azureml`);
  }
}
