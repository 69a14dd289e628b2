/** Renders a cloud deployment for review: the platform's own request files and the CLI calls that apply them. */
import type { CloudDeployOptions, CloudDeployment } from './cloudTypes';

export function renderCloudDeployment(opts: CloudDeployOptions): CloudDeployment {
  throw new Error(`renderCloudDeployment: ${opts.platform} not implemented yet`);
}
