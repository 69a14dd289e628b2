import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandTable } from '../../../commands';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import type { Logger } from '../../../core/logger';
import { stopAliasContainer } from '../../../core/deploy/aliasContainer';
import { findKubectl } from '../../../core/deploy/kubectl';
import { deleteCommand, stopAliasKubernetes } from '../../../core/deploy/stopAliasKubernetes';
import type { KubernetesDeployment } from '../../../core/registry/aliasDeployments';
import { RegistryStore } from '../../../core/registry/RegistryStore';
import { refText, resolveRegistryRef } from '../../../core/registry/registryRef';
import { registryTarget, type RegistryTarget } from '../../../core/registry/registryTarget';
import { CHAMPION, type RegisteredModel } from '../../../core/registry/registryTypes';
import { setting } from '../../../vscode/config';
import { runMlwJson } from '../../../vscode/runMlw';
import { UserError } from '../../../vscode/userError';
import { aliasEndpoint, type AliasDeploymentsWatch } from '../aliasNodes';
import { isDeploymentNode, type DeploymentNode, type DeploymentsTree } from '../deploymentsTree';
import { baseImageSetting, type DockerService } from '../containers/dockerService';
import { captureRate } from './captureSetting';
import type { LocalServers } from './localServers';

interface AliasChoice {
  folder: string;
  model: string;
  alias: string;
  version: number;
}

const folders = () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);

/** Every alias of every registered model of the workspace folders (for a command run from the palette). */
async function allAliases(): Promise<AliasChoice[]> {
  const out: AliasChoice[] = [];
  for (const folder of folders())
    for (const m of await new RegistryStore(folder).list().catch(() => [] as RegisteredModel[]))
      for (const [alias, version] of Object.entries(m.aliases)) out.push({ folder, model: m.name, alias, version });
  return out;
}

/**
 * The NAME@ALIAS a serve or deploy command is about: the alias given; for a version, its alias (a pick when it has
 * several); for a model, its only alias or a pick (champion first); from the palette, a pick of every alias.
 */
async function pickAlias(arg: unknown, what: string): Promise<AliasChoice | undefined> {
  const t: RegistryTarget | undefined = registryTarget(arg);
  let choices: AliasChoice[];
  if (t) {
    const model = await new RegistryStore(t.folder).get(t.model);
    choices = Object.entries(model.aliases)
      .filter(([a, v]) => (t.alias ? a === t.alias : t.version === undefined || v === t.version))
      .map(([alias, version]) => ({ folder: t.folder, model: model.name, alias, version }));
    if (!choices.length) {
      const about = t.alias ? `no alias "${t.alias}"` : t.version !== undefined ? `no alias on version ${t.version}` : 'no aliases yet';
      throw new UserError(
        `${model.name} has ${about}: ${what} follows an alias. Promote a version to champion (or set an alias) first.`,
        t.version !== undefined
          ? [
              {
                title: 'Set Alias…',
                run: () => runCommand(Command.setRegistryAlias, { folder: t.folder, model: model.name, version: t.version }),
              },
            ]
          : [{ title: 'Open Registry Page', run: () => runCommand(Command.openRegistry, { folder: t.folder }) }],
      );
    }
  } else {
    choices = await allAliases();
    if (!choices.length)
      throw new UserError(
        `No registered model has an alias in this workspace (${what}). Register one with mlw registry register, then promote it.`,
      );
  }
  choices.sort(
    (a, b) => a.model.localeCompare(b.model) || (a.alias === CHAMPION ? -1 : b.alias === CHAMPION ? 1 : a.alias.localeCompare(b.alias)),
  );
  if (choices.length === 1) return choices[0];
  const multiFolder = new Set(choices.map((c) => c.folder)).size > 1;
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({
      label: `${c.model}@${c.alias}`,
      description: `version ${c.version}${multiFolder ? ` · ${vscode.workspace.asRelativePath(c.folder)}` : ''}`,
      c,
    })),
    { title: what, placeHolder: 'The alias to follow: when it moves (promote, rollback), what serves it rolls' },
  );
  return picked?.c;
}

/**
 * Serve / Deploy Locally of a registry alias: a local server that follows NAME@ALIAS (as `mlw serve NAME@ALIAS`), a
 * container behind its front proxy (as `mlw deploy local NAME@ALIAS`, run by the CLI in a child process), and Stop
 * for what the Deployments view's "Registry aliases" group lists.
 */
export function aliasServingCommands(deps: {
  servers: LocalServers;
  tree: DeploymentsTree;
  view: vscode.TreeView<DeploymentNode>;
  aliases: AliasDeploymentsWatch;
  docker: DockerService;
  extensionUri: vscode.Uri;
  logger: Logger;
}): CommandTable {
  const { servers, tree, view, aliases, logger } = deps;

  async function serveAlias(arg: unknown): Promise<string | undefined> {
    const c = await pickAlias(arg, 'Serve Registry Alias');
    if (!c) return undefined;
    const text = `${c.model}@${c.alias}`;
    const existing = servers.runningForRef(c.folder, text);
    if (existing?.state === 'ready') {
      void vscode.window.showInformationMessage(`${text} is served already at ${existing.url} (version ${existing.ref?.version}).`);
      return existing.url;
    }
    const ref = await resolveRegistryRef(c.folder, { name: c.model, ref: c.alias, follows: true });
    const server = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Serving ${text} (version ${ref.version.version})`, cancellable: true },
      async (progress, token) => {
        progress.report({ message: 'starting the server and loading the model…' });
        return servers.start(ref.file, token, { workspace: c.folder, text, version: ref.version.version });
      },
    );
    void view.reveal(tree.nodeFor(server), { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    void aliases.reload();
    void vscode.window
      .showInformationMessage(
        `${refText(ref)} (version ${ref.version.version}) is served at ${server.url}; it follows the alias.`,
        'Send Test Request',
      )
      .then((choice) => (choice ? runCommand(Command.sendTestRequest, tree.nodeFor(server)) : undefined));
    return server.url;
  }

  async function deployAlias(arg: unknown): Promise<string | undefined> {
    const c = await pickAlias(arg, 'Deploy Registry Alias Locally');
    if (!c) return undefined;
    const text = `${c.model}@${c.alias}`;
    const dockerHost = setting('docker.host') || undefined;
    const baseImage = await baseImageSetting();
    // The folder's capture setting: every container a roll starts for this deployment captures at that rate too.
    const capture = captureRate(c.folder);
    const r = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Deploying ${text} (version ${c.version}) on the local engine`,
        cancellable: true,
      },
      async (progress, token) => {
        progress.report({ message: 'building the version image (reused when built before), starting its container…' });
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await runMlwJson<{
            endpoint: string;
            from: unknown;
            to: { version: number; container: string; image: string };
            readyMs: number;
          }>(
            deps.extensionUri,
            [
              '--workspace',
              c.folder,
              'deploy',
              'local',
              text,
              '--base-image',
              baseImage,
              ...(dockerHost ? ['--docker-host', dockerHost] : []),
              ...(capture > 0 ? ['--capture', String(capture)] : []),
            ],
            `Deploy ${text}`,
            abort.signal,
          );
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw e;
          const stderr = (e as { stderr?: string }).stderr;
          if (stderr) logger.warn(`mlw deploy local ${text}:\n${stderr}`);
          throw new UserError(`Could not deploy ${text}: ${(e as Error).message.replace(/^mlw( deploy)?: /, '')}`);
        } finally {
          sub.dispose();
        }
      },
    );
    logger.info(`Deployed ${text}: version ${r.to.version} in container ${r.to.container} (${r.to.image}) at ${r.endpoint}`);
    await aliases.reload();
    tree.refresh();
    void vscode.window
      .showInformationMessage(
        `${text} (version ${r.to.version}) serves at ${r.endpoint}, container ${r.to.container}; it rolls when the alias moves.`,
        'Copy Endpoint',
      )
      .then((choice) => (choice ? vscode.env.clipboard.writeText(r.endpoint) : undefined));
    return r.endpoint;
  }

  async function stopAliasDeployment(arg: unknown): Promise<void> {
    let node = isDeploymentNode(arg) && arg.type === 'aliasServing' ? arg.serving : undefined;
    if (!node) {
      const all = aliases.all;
      if (!all.length) throw new UserError('Nothing serves a registry alias in this workspace.');
      const picked = await vscode.window.showQuickPick(
        all.map((a) => ({
          label: `${a.deployment.model}@${a.deployment.alias}`,
          description:
            a.deployment.kind === 'kubernetes' ? a.deployment.endpoint : `${a.deployment.kind} ${aliasEndpoint(a.deployment) ?? ''}`,
          a,
        })),
        { title: 'Stop Registry Deployment' },
      );
      node = picked?.a;
    }
    if (!node) return;
    const d = node.deployment;
    const text = `${d.model}@${d.alias}`;
    if (d.kind === 'server') {
      const ours = servers.all.find((s) => s.pid === d.process.pid);
      if (ours) await servers.stop(ours);
      else process.kill(d.process.pid, 'SIGTERM');
      logger.info(`Stopped the local server of ${text} (process ${d.process.pid})`);
    } else if (d.kind === 'container') {
      const engine = await deps.docker.engine();
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping ${text}` }, () =>
        stopAliasContainer({ engine, workspace: node!.folder }, d),
      );
      logger.info(`Stopped ${text}: front proxy ${d.proxy.pid}, container ${d.container.name}`);
    } else if (d.kind === 'kubernetes') {
      if (!(await stopKubernetes(node.folder, d))) return;
    } else throw new UserError(`${text} is a ${(d as { kind: string }).kind} deployment: stop it where it runs.`);
    await aliases.reload();
  }

  /** Asks first (naming context, namespace and Deployment), then kubectl delete -f MANIFEST; false when declined. */
  async function stopKubernetes(folder: string, d: KubernetesDeployment): Promise<boolean> {
    const text = `${d.model}@${d.alias}`;
    const where = `deployment/${d.deployment} in context ${d.context}, namespace ${d.namespace}`;
    const DELETE = 'Delete from Cluster';
    const FORGET = d.applied ? 'Forget Record Only' : 'Forget Record';
    const choice = await vscode.window.showWarningMessage(
      d.applied ? `Delete ${where}?` : `Forget the Kubernetes deployment of ${text} (${where})?`,
      {
        modal: true,
        detail: d.applied
          ? `${deleteCommand(d)} deletes the Deployment and Service the manifest created (the cluster stops serving ${text}), and the record goes: promotions no longer roll it. "${FORGET}" keeps the cluster as it is. The manifest file stays.`
          : `Its manifest ${d.manifest} was never applied, so nothing is deleted from a cluster; promotions stop bumping it. The manifest file stays.`,
      },
      ...(d.applied ? [DELETE, FORGET] : [FORGET]),
    );
    if (!choice) return false;
    const keepCluster = choice !== DELETE;
    if (!keepCluster && !vscode.workspace.isTrusted)
      throw new UserError(
        `Deleting from a Kubernetes cluster is disabled in Restricted Mode: this workspace is not trusted. "${FORGET}" still works, or run ${deleteCommand(d)} yourself.`,
        [{ title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') }],
      );
    const kubectl = keepCluster ? undefined : await findKubectl(process.env);
    const r = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: keepCluster ? `Forgetting ${text}` : `Deleting ${where}`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await stopAliasKubernetes(
            {
              workspace: folder,
              kubectl,
              signal: abort.signal,
              onLog: (line) => {
                logger.info(`Stop ${text}: ${line}`);
                progress.report({ message: line.slice(0, 100) });
              },
            },
            d,
            { keepCluster },
          );
        } catch (e) {
          if (abort.signal.aborted) throw new vscode.CancellationError();
          throw new UserError(`Could not stop ${text}: ${(e as Error).message}`, [
            { title: 'Open Manifest', run: () => openManifest(folder, d) },
            {
              title: 'Forget Record Only',
              run: async () => {
                await stopAliasKubernetes({ workspace: folder }, d, { keepCluster: true });
                logger.info(`Forgot ${text} at ${where}; the cluster keeps it.`);
                await aliases.reload();
              },
            },
          ]);
        } finally {
          sub.dispose();
        }
      },
    );
    const said = r.deleted
      ? `Deleted ${where}${r.lines.length ? ` (${r.lines.join(', ')})` : ''}${r.notFound.length ? `; ${r.notFound.length} of its objects were gone already` : ''}.`
      : d.applied
        ? `Forgot ${text} at ${where}; the cluster keeps it.`
        : `Forgot the manifest-only deployment of ${text}.`;
    logger.info(said);
    void vscode.window.showInformationMessage(said);
    return true;
  }

  async function openManifest(folder: string, d: KubernetesDeployment): Promise<void> {
    const file = path.resolve(folder, d.manifest);
    if (!existsSync(file))
      throw new UserError(`The manifest ${d.manifest} of ${d.model}@${d.alias} is gone: restore it from git, or deploy again.`);
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  }

  async function openManifestCommand(arg: unknown): Promise<void> {
    let a = isDeploymentNode(arg) && arg.type === 'aliasServing' ? arg.serving : undefined;
    if (!a) {
      const k8s = aliases.all.filter((x) => x.deployment.kind === 'kubernetes');
      if (!k8s.length) throw new UserError('No Kubernetes deployment of a registry alias is recorded in this workspace.');
      a =
        k8s.length === 1
          ? k8s[0]
          : (
              await vscode.window.showQuickPick(
                k8s.map((x) => ({
                  label: `${x.deployment.model}@${x.deployment.alias}`,
                  description: x.deployment.kind === 'kubernetes' ? x.deployment.endpoint : '',
                  x,
                })),
                { title: 'Open Manifest' },
              )
            )?.x;
    }
    if (!a) return;
    if (a.deployment.kind !== 'kubernetes')
      throw new UserError(`${a.deployment.model}@${a.deployment.alias} has no manifest: it is a ${a.deployment.kind}.`);
    await openManifest(a.folder, a.deployment);
  }

  return {
    [Command.serveRegistryAlias]: { trust: 'Serving models', run: serveAlias },
    [Command.deployRegistryAlias]: { trust: 'Deploying containers', run: deployAlias },
    [Command.stopRegistryDeployment]: { run: stopAliasDeployment },
    [Command.openRegistryDeploymentManifest]: { run: openManifestCommand },
  };
}
