import type { ContainerInfo } from '../../../core/docker/dockerEngine';
import { UserError } from '../../../vscode/userError';
import { containerEndpoint, LABEL_MODEL_NAME } from './containerNodes';
import { sendTestRequest } from '../serving/servingCommands';
import type { DeployContext } from '../deployContext';
import { MonitorPanel } from '../serving/monitorPanel';

/** "Open Monitor" on a container: the server monitor pointed at the container's published endpoint. */
export function openContainerMonitor(ctx: DeployContext, c: ContainerInfo, openLog: () => unknown): void {
  const endpoint = containerEndpoint(c);
  if (!endpoint || c.state !== 'running') throw new UserError(`${c.name} is not running with a published port (${c.status}).`);
  const model = c.labels[LABEL_MODEL_NAME];
  MonitorPanel.showUrl(
    { key: `container:${c.id}`, label: c.name, baseUrl: endpoint, modelNames: model ? [model] : undefined },
    ctx.drift,
    ctx.context.extensionUri,
    ctx.log,
    {
      sendTestRequest: model
        ? () =>
            sendTestRequest(
              endpoint,
              model,
              (meta, status) => new UserError(`Test request to ${meta.name} at ${endpoint} failed with HTTP ${status}.`),
            )
        : undefined,
      openLog: () => void openLog(),
    },
  );
}
