import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ContainerInfo } from '../../../core/docker/dockerEngine';
import type { CommandTable } from '../../../commands';
import { UserError } from '../../../vscode/userError';
import { isDeploymentNode } from '../deploymentsTree';
import { containerEndpoint, LABEL_MODEL, LABEL_MODEL_HASH, LABEL_MODEL_NAME, LABEL_RUN_ID } from './containerNodes';
import { ContainerLogs } from './containerLogs';
import { showLineage } from '../targets/lineageDocument';
import { openContainerMonitor } from './containerMonitor';
import { recordLineage, withCancellableProgress, workspaceRootFor, type DeployContext } from '../deployContext';
import { captureLabel, captureRate } from '../serving/captureSetting';
import type { BuiltImage } from './builtImages';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';

/** The image a command is about: a name, a built-image record, a container item, or a pick among the images built here. */
export async function pickBuiltImage(ctx: DeployContext, arg: unknown, title: string): Promise<BuiltImage | undefined> {
  if (typeof arg === 'string' && arg) {
    const known = ctx.images.find(arg);
    if (!known)
      throw new UserError(`${arg} was not built from this workspace: containerize the model first.`, [
        { title: 'Containerize Model', run: () => runCommand(Command.containerizeModel) },
      ]);
    return known;
  }
  if (isDeploymentNode(arg) && arg.type === 'container') {
    const c = arg.container;
    const known = ctx.images.find(c.image);
    if (known) return known;
    // A container of ours whose image was built from another workspace: its labels say enough.
    const port = c.ports[0]?.containerPort;
    if (!port) throw new UserError(`${c.name} publishes no port; its image cannot be run from here.`);
    return {
      image: c.image,
      imageId: c.image,
      modelName: c.labels[LABEL_MODEL_NAME] ?? c.name,
      modelPath: c.labels[LABEL_MODEL] ?? '',
      modelHash: c.labels[LABEL_MODEL_HASH] ?? '',
      runId: c.labels[LABEL_RUN_ID],
      containerPort: port,
      builtAt: c.createdAt,
    };
  }
  const all = ctx.images.all;
  if (all.length === 0)
    throw new UserError('No image has been built from this workspace yet.', [
      { title: 'Containerize Model', run: () => runCommand(Command.containerizeModel) },
    ]);
  if (all.length === 1) return all[0];
  const picked = await vscode.window.showQuickPick(
    all.map((b) => ({
      label: b.image,
      description: `${path.basename(b.modelPath)} · ${new Date(b.builtAt).toLocaleString()}`,
      detail: b.pushed?.[0] ? `pushed to ${b.pushed[0].reference}` : undefined,
      b,
    })),
    { title, placeHolder: 'Image built by Containerize Model' },
  );
  return picked?.b;
}

/** The container a command is about: a tree item, an id, or a pick among the listed ones matching `filter`. */
async function pickContainer(
  ctx: DeployContext,
  arg: unknown,
  filter: (c: ContainerInfo) => boolean,
  what: string,
): Promise<ContainerInfo | undefined> {
  if (isDeploymentNode(arg) && (arg.type === 'container' || arg.type === 'lineageStep')) return arg.container;
  const id = (arg as { id?: unknown } | undefined)?.id;
  if (typeof id === 'string') arg = id;
  if (typeof arg === 'string' && arg) {
    await ctx.watcher.refresh();
    const c = ctx.watcher.byId(arg) ?? ctx.watcher.containers.find((x) => x.name === arg);
    if (!c) throw new UserError(`No container ${arg} managed by ML Workbench.`);
    return c;
  }
  await ctx.docker.engine();
  await ctx.watcher.refresh();
  const candidates = ctx.watcher.containers.filter(filter);
  if (candidates.length === 0)
    throw new UserError(`No container to ${what}.`, [{ title: 'Run Container', run: () => runCommand(Command.runContainer) }]);
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((c) => ({ label: c.name, description: `${c.image} · ${c.state}`, detail: containerEndpoint(c), c })),
    { title: `Select the container to ${what}` },
  );
  return picked?.c;
}

async function runContainer(ctx: DeployContext, arg: unknown): Promise<string | undefined> {
  const built = await pickBuiltImage(ctx, arg, 'Run Container');
  if (!built) return undefined;
  const engine = await ctx.docker.engine(() => runCommand(Command.runContainer, built.image));
  const { runLocal } = await import('../../../core/deploy/runLocal');
  const rate = captureRate(built.modelPath);
  const { captureMount } = await import('../../../core/deploy/captureMount');
  const capture = rate > 0 ? captureMount(workspaceRootFor(built.modelPath), built.modelName, rate) : undefined;
  const run = await withCancellableProgress(`Starting ${built.image}`, async (progress, signal) => {
    progress.report({ message: 'starting the container and waiting until it is ready…' });
    return runLocal({
      engine,
      image: built.image,
      modelName: built.modelName,
      containerPort: built.containerPort,
      labels: {
        [LABEL_MODEL]: built.modelPath,
        [LABEL_MODEL_NAME]: built.modelName,
        [LABEL_MODEL_HASH]: built.modelHash,
        ...(built.runId ? { [LABEL_RUN_ID]: built.runId } : {}),
      },
      signal,
      capture,
    });
  });
  if (capture) ctx.log.info(`Container ${run.container.name}: ${captureLabel(rate)} of requests into ${capture.hostDir}`);
  ctx.log.info(
    `Container ${run.container.name} (${run.container.id.slice(0, 12)}) ready at ${run.endpoint} in ${run.readyMs} ms; smoke request: ${run.smoke.ok ? 'ok' : 'FAILED'} in ${run.smoke.ms} ms, ${run.smoke.summary}`,
  );
  await recordLineage(ctx, {
    at: new Date().toISOString(),
    kind: 'container',
    modelPath: built.modelPath,
    modelHash: built.modelHash,
    runId: built.runId,
    image: built.image,
    imageId: built.imageId,
    containerId: run.container.id,
    endpoint: run.endpoint,
  });
  await ctx.watcher.refresh();
  const node = ctx.tree.containerNode(run.container.id);
  if (node) void ctx.view.reveal(node, { select: true, focus: false, expand: false }).then(undefined, () => undefined);
  const smoke = run.smoke.ok
    ? `smoke request answered in ${Math.round(run.smoke.ms)} ms`
    : `the smoke request FAILED: ${run.smoke.summary}`;
  const show = run.smoke.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  void show(
    `${built.modelName} is served from container ${run.container.name} at ${run.endpoint} (ready in ${run.readyMs} ms; ${smoke}).`,
    'Copy Endpoint',
    'Open Monitor',
    'Open Logs',
  ).then((choice) => {
    if (choice === 'Copy Endpoint') return runCommand(Command.copyEndpoint, run.container.id);
    if (choice === 'Open Monitor') return runCommand(Command.openContainerMonitor, run.container.id);
    if (choice === 'Open Logs') return runCommand(Command.containerLogs, run.container.id);
    return undefined;
  });
  return run.endpoint;
}

export function containerCommands(ctx: DeployContext): CommandTable {
  const logs = new ContainerLogs(ctx);
  ctx.context.subscriptions.push(logs);
  const withContainer = (arg: unknown, filter: (c: ContainerInfo) => boolean, what: string, run: (c: ContainerInfo) => unknown) =>
    pickContainer(ctx, arg, filter, what).then((c) => (c ? run(c) : undefined));
  const running = (c: ContainerInfo) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused';

  return {
    [Command.runContainer]: { trust: 'Running containers', run: (arg) => runContainer(ctx, arg) },
    [Command.containerLogs]: {
      run: (arg) =>
        withContainer(
          arg,
          () => true,
          'show the logs of',
          (c) => logs.open(c),
        ),
    },
    [Command.stopContainer]: {
      run: (arg) =>
        withContainer(arg, running, 'stop', async (c) => {
          const engine = await ctx.docker.engine();
          await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Stopping ${c.name}` }, () =>
            engine.stop(c.id, { timeoutSeconds: 10 }),
          );
          ctx.log.info(`Stopped container ${c.name}`);
          await ctx.watcher.refresh();
        }),
    },
    [Command.restartContainer]: {
      trust: 'Running containers',
      run: (arg) =>
        withContainer(
          arg,
          () => true,
          'restart',
          async (c) => {
            const engine = await ctx.docker.engine();
            await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Restarting ${c.name}` }, () =>
              engine.restart(c.id),
            );
            ctx.log.info(`Restarted container ${c.name}`);
            await ctx.watcher.refresh();
          },
        ),
    },
    [Command.removeContainer]: {
      run: (arg) =>
        withContainer(
          arg,
          () => true,
          'remove',
          async (c) => {
            const confirmArg = (arg as { confirmed?: boolean } | undefined)?.confirmed === true;
            if (!confirmArg) {
              const choice = await vscode.window.showWarningMessage(
                `Remove container ${c.name}?`,
                {
                  modal: true,
                  detail: c.state === 'running' ? 'It is running: it will be stopped first. Its image stays.' : 'Its image stays.',
                },
                'Remove',
              );
              if (choice !== 'Remove') return undefined;
            }
            const engine = await ctx.docker.engine();
            await engine.remove(c.id, { force: true });
            logs.close(c.id);
            ctx.log.info(`Removed container ${c.name}`);
            await ctx.watcher.refresh();
            return c.id;
          },
        ),
    },
    [Command.openContainerMonitor]: {
      run: (arg) =>
        withContainer(
          arg,
          (c) => c.state === 'running' && !!containerEndpoint(c),
          'monitor',
          (c) => openContainerMonitor(ctx, c, () => logs.open(c)),
        ),
    },
    [Command.copyEndpoint]: {
      run: (arg) =>
        withContainer(
          arg,
          (c) => !!containerEndpoint(c),
          'copy the endpoint of',
          async (c) => {
            const endpoint = containerEndpoint(c);
            if (!endpoint) throw new UserError(`${c.name} publishes no port.`);
            await vscode.env.clipboard.writeText(endpoint);
            void vscode.window.showInformationMessage(`Copied ${endpoint} (${c.name}).`);
            return endpoint;
          },
        ),
    },
    [Command.showLineage]: {
      run: (arg) =>
        withContainer(
          arg,
          () => true,
          'show the lineage of',
          (c) => showLineage(ctx, c),
        ),
    },
    [Command.retryDocker]: {
      run: async () => {
        ctx.docker.reset();
        await ctx.watcher.refresh();
        if (ctx.docker.unavailable) await ctx.docker.engine(() => runCommand(Command.retryDocker));
        ctx.tree.refresh();
      },
    },
  };
}
