import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RegistryAuth } from '../../../core/docker/dockerEngine';
import { RegistryStore } from '../../../core/registry/RegistryStore';
import type { RegisteredModel } from '../../../core/registry/registryTypes';
import { CHAMPION } from '../../../core/registry/registryTypes';
import { setting } from '../../../vscode/config';
import { UserError } from '../../../vscode/userError';
import { baseImageSetting } from '../containers/dockerService';
import { withCancellableProgress, type DeployContext } from '../deployContext';

/** A registry alias the Deploy to Kubernetes picker offers next to the built images. */
export interface AliasPick {
  folder: string;
  model: string;
  alias: string;
  version: number;
}

/** Where the image registry the cluster pulls from is remembered, per workspace folder. */
const registryKey = (folder: string) => `mlWorkbench.k8s.imageRegistry:${folder}`;

/** Every alias of every registered model of the workspace folders, champion first. */
export async function registryAliases(): Promise<AliasPick[]> {
  const out: AliasPick[] = [];
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    if (f.uri.scheme !== 'file') continue;
    for (const m of await new RegistryStore(f.uri.fsPath).list().catch(() => [] as RegisteredModel[]))
      for (const [alias, version] of Object.entries(m.aliases)) out.push({ folder: f.uri.fsPath, model: m.name, alias, version });
  }
  return out.sort(
    (a, b) => a.model.localeCompare(b.model) || (a.alias === CHAMPION ? -1 : b.alias === CHAMPION ? 1 : a.alias.localeCompare(b.alias)),
  );
}

async function askRegistry(ctx: DeployContext, folder: string, current: string | undefined): Promise<string | undefined> {
  const { normalizeImageRegistry } = await import('../../../core/deploy/aliasKubernetes');
  const text = await vscode.window.showInputBox({
    title: 'Deploy to Kubernetes: image registry',
    prompt: 'The registry the cluster pulls from (HOST[:PORT][/PREFIX]); the version image is pushed there as REGISTRY/NAME:vN',
    placeHolder: 'ghcr.io/team or 127.0.0.1:5000',
    value: current,
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        normalizeImageRegistry(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  if (!text) return undefined;
  const registry = normalizeImageRegistry(text);
  await ctx.context.workspaceState.update(registryKey(folder), registry);
  return registry;
}

/**
 * Deploy to Kubernetes of NAME@ALIAS, as `mlw deploy k8s NAME@ALIAS --registry R --context C --namespace NS
 * [--apply]` (the same core): the version image built (or reused) and pushed, the manifests written to
 * deploy/k8s/NAME-ALIAS.yaml, applied in kubectl's current context and namespace (recorded and passed explicitly),
 * the rollout followed in the progress and the log; the deployment is recorded, so promotions roll it. The registry
 * is asked once per workspace folder (or taken from the alias's recorded deployment) and remembered.
 * Resolves with the manifest's path.
 */
export async function deployAliasKubernetesCommand(ctx: DeployContext, pick: AliasPick): Promise<string | undefined> {
  const { deployAliasKubernetes, findKubernetesDeployments, KubernetesRollError } = await import('../../../core/deploy/aliasKubernetes');
  const { currentScope, findKubectl } = await import('../../../core/deploy/kubectl');
  const { resolveRegistryRef } = await import('../../../core/registry/registryRef');
  const text = `${pick.model}@${pick.alias}`;
  const kubectl = await findKubectl(process.env);
  if (!kubectl)
    throw new UserError(
      `kubectl was not found on PATH, so ${text} cannot be deployed to a cluster from here: install kubectl, or write the manifest in a terminal with mlw deploy k8s ${text} --registry R --context C --namespace NS.`,
    );
  let scope;
  try {
    scope = await currentScope(kubectl);
  } catch (e) {
    throw new UserError(`Deploy ${text} to Kubernetes: ${(e as Error).message}`);
  }
  const recorded = (await findKubernetesDeployments(pick.folder, pick.model, pick.alias)).find(
    (d) => d.context === scope.context && d.namespace === scope.namespace,
  );
  let registry = ctx.context.workspaceState.get<string>(registryKey(pick.folder)) ?? recorded?.registry;
  if (!registry) registry = await askRegistry(ctx, pick.folder, undefined);
  if (!registry) return undefined;

  const APPLY = 'Deploy and Apply';
  const WRITE = 'Write Manifest Only';
  const CHANGE = 'Change Registry…';
  const { kubernetesName } = await import('../../../core/deploy/kubernetesManifests');
  const name = recorded?.deployment ?? kubernetesName(`${pick.model}-${pick.alias}`);
  const manifest = recorded?.manifest ?? path.join('deploy', 'k8s', `${name}.yaml`);
  let choice: string | undefined;
  for (;;) {
    choice = await vscode.window.showInformationMessage(
      `Deploy ${text} (version ${pick.version}) to Kubernetes context ${scope.context}, namespace ${scope.namespace}?`,
      {
        modal: true,
        detail: [
          `kubectl's current context is ${scope.context} and its namespace ${scope.namespace}; they are recorded and passed explicitly on every later call (promotions roll it there).`,
          `The version image is built (or reused) and pushed as ${registry}/${pick.model}:v${pick.version}; deployment/${name} and its Service are written to ${manifest}.`,
          `"${APPLY}" applies them with kubectl and follows the rollout; "${WRITE}" leaves the cluster alone.`,
        ].join('\n\n'),
      },
      APPLY,
      WRITE,
      CHANGE,
    );
    if (choice !== CHANGE) break;
    const next = await askRegistry(ctx, pick.folder, registry);
    if (next) registry = next;
  }
  if (!choice) return undefined;
  const apply = choice === APPLY;
  const engine = await ctx.docker.engine();
  const { locateServerAssets } = await import('../../../core/docker/serverAssets');
  const { dockerLoginAuth } = await import('../../../core/deploy/dockerConfigAuth');
  const { registryOf } = await import('../../../core/docker/engineErrors');
  const host = registryOf(`${registry}/x`);
  let auth: RegistryAuth | undefined = await ctx.credentials.get(host);
  if (!auth) {
    const login = await dockerLoginAuth(host);
    if (login.problem) ctx.log.warn(login.problem);
    auth = login.auth;
  }
  const ref = await resolveRegistryRef(pick.folder, { name: pick.model, ref: pick.alias, follows: true });
  const baseImage = await baseImageSetting();
  const target = registry;
  ctx.log.info(`Deploying ${text} (version ${ref.version.version}) to Kubernetes ${scope.context}/${scope.namespace} via ${target}`);
  const r = await withCancellableProgress(
    `Deploying ${text} to Kubernetes (${scope.context}/${scope.namespace})`,
    async (progress, signal) => {
      progress.report({ message: 'building the version image (reused when built before)…' });
      try {
        return await deployAliasKubernetes(
          {
            engine,
            workspace: pick.folder,
            assets: locateServerAssets(ctx.context.extensionUri.fsPath),
            baseImage,
            kubectl,
            auth,
            dockerHost: setting('docker.host') || undefined,
            signal,
            onLog: (line) => {
              ctx.log.info(`[${text}] ${line}`);
              if (line.startsWith('kubectl: ')) progress.report({ message: line.slice(9, 200) });
              else if (line.startsWith('pushing ')) progress.report({ message: line.slice(0, 100) });
            },
          },
          ref,
          { registry: target, scope, name, outDir: path.join(pick.folder, 'deploy', 'k8s'), apply },
        );
      } catch (e) {
        if (signal.aborted) throw e;
        const file = path.resolve(pick.folder, manifest);
        throw new UserError(
          `Could not deploy ${text} to Kubernetes: ${(e instanceof KubernetesRollError ? e.message : (e as Error).message).split('\n')[0]}`,
          [
            { title: 'Open Manifest', run: () => vscode.window.showTextDocument(vscode.Uri.file(file)) },
            { title: 'Show Log', run: () => ctx.log.show() },
          ],
        );
      }
    },
  );
  const file = path.resolve(pick.folder, r.manifest);
  ctx.log.info(
    r.applied
      ? `${text} (version ${r.to.version}, image ${r.to.image}) rolled out as ${r.endpoint} in ${r.rolloutMs} ms; manifest ${r.manifest}`
      : `${text} (version ${r.to.version}, image ${r.to.image}): manifest ${r.manifest} written for ${r.endpoint} (not applied)`,
  );
  ctx.tree.refresh();
  void vscode.window
    .showInformationMessage(
      r.applied
        ? `${text} (version ${r.to.version}) rolled out as deployment/${name} in ${scope.context}/${scope.namespace}; it rolls when the alias moves.`
        : `${text}: manifest ${r.manifest} written (not applied); promotions bump its image.`,
      'Open Manifest',
    )
    .then((c) => (c ? vscode.window.showTextDocument(vscode.Uri.file(file)) : undefined));
  return file;
}
