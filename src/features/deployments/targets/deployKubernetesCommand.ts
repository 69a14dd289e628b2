import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { UserError } from '../../../vscode/userError';
import { pickBuiltImage } from '../containers/containerCommands';
import { ReadonlyDocuments } from '../readonlyDocuments';
import { recordLineage, withCancellableProgress, workspaceRootFor, type DeployContext } from '../deployContext';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import { parseRegistryRef } from '../../../core/registry/registryRef';
import { registryTarget } from '../../../core/registry/registryTarget';
import { deployAliasKubernetesCommand, registryAliases, type AliasPick } from './deployAliasKubernetesCommand';

/** NAME@ALIAS the command was given: a Registry node of the Models view, `{ folder, model, alias }`, or 'NAME@ALIAS'. */
async function aliasOf(arg: unknown): Promise<AliasPick | undefined> {
  const t = registryTarget(arg);
  const ref = typeof arg === 'string' ? parseRegistryRef(arg) : undefined;
  if (!t && !ref?.follows) return undefined;
  const all = await registryAliases();
  const matching = t
    ? all.filter(
        (a) =>
          a.folder === t.folder &&
          a.model === t.model &&
          (t.alias ? a.alias === t.alias : t.version === undefined || a.version === t.version),
      )
    : all.filter((a) => a.model === ref!.name && a.alias === ref!.ref);
  if (!matching.length) {
    if (ref && !t) return undefined; // an image reference that only looks like NAME@ALIAS
    throw new UserError(
      `${t!.model} has ${t!.alias ? `no alias "${t!.alias}"` : t!.version !== undefined ? `no alias on version ${t!.version}` : 'no aliases yet'}: Deploy to Kubernetes follows an alias. Promote a version (or set an alias) first.`,
    );
  }
  if (matching.length === 1) return matching[0];
  return (
    await vscode.window.showQuickPick(
      matching.map((a) => ({ label: `${a.model}@${a.alias}`, description: `version ${a.version}`, a })),
      { title: 'Deploy to Kubernetes', placeHolder: 'The alias to follow: when it moves, the deployment rolls' },
    )
  )?.a;
}

async function saveManifests(ctx: DeployContext, modelPath: string, name: string, yaml: string): Promise<string> {
  const file = path.join(workspaceRootFor(modelPath || undefined), 'deploy', 'k8s', `${name}.yaml`);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, yaml);
  ctx.log.info(`Saved Kubernetes manifests to ${file}`);
  return file;
}

/**
 * "ML: Deploy to Kubernetes…": a registry alias (NAME@ALIAS, see deployAliasKubernetesCommand), or a Deployment and
 * Service (optionally a KServe InferenceService) for an image built here, shown for review, then applied with
 * kubectl and followed until rolled out, or saved to deploy/k8s/<name>.yaml. Resolves with the saved or applied
 * manifest path.
 */
export async function deployKubernetesCommand(ctx: DeployContext, arg: unknown): Promise<string | undefined> {
  const alias = await aliasOf(arg);
  if (alias) return deployAliasKubernetesCommand(ctx, alias);
  if (arg === undefined) {
    // From the palette: the registry aliases (followed by promotions) next to the images built here.
    const aliases = await registryAliases();
    if (aliases.length) {
      const picked = await vscode.window.showQuickPick<vscode.QuickPickItem & { alias?: AliasPick; image?: string }>(
        [
          { label: 'Registry aliases', kind: vscode.QuickPickItemKind.Separator },
          ...aliases.map((a) => ({
            label: `$(library) ${a.model}@${a.alias}`,
            description: `version ${a.version}${vscode.workspace.workspaceFolders!.length > 1 ? ` · ${path.basename(a.folder)}` : ''}`,
            detail: 'Its version image pushed to your registry; rolls when the alias moves (promote, rollback)',
            alias: a,
          })),
          ...(ctx.images.all.length ? [{ label: 'Images built here', kind: vscode.QuickPickItemKind.Separator }] : []),
          ...ctx.images.all.map((b) => ({
            label: `$(package) ${b.image}`,
            description: `${path.basename(b.modelPath)} · ${new Date(b.builtAt).toLocaleString()}`,
            detail: b.pushed?.[0] ? `pushed to ${b.pushed[0].reference}` : undefined,
            image: b.image,
          })),
        ],
        { title: 'Deploy to Kubernetes', placeHolder: 'A registry alias (NAME@ALIAS) or an image built by Containerize Model' },
      );
      if (!picked) return undefined;
      if (picked.alias) return deployAliasKubernetesCommand(ctx, picked.alias);
      arg = picked.image;
    }
  }
  const built = await pickBuiltImage(ctx, arg, 'Deploy to Kubernetes');
  if (!built) return undefined;
  // A cluster pulls from a registry: prefer the reference the image was pushed to, pinned by digest.
  const pushed = typeof arg === 'string' ? (built.pushed?.find((p) => p.reference === arg) ?? built.pushed?.[0]) : built.pushed?.[0];
  const image = pushed ? (pushed.reference.includes('@') ? pushed.reference : `${pushed.reference}@${pushed.digest}`) : built.image;
  if (!pushed) {
    const choice = await vscode.window.showWarningMessage(
      `${built.image} has not been pushed to a registry: a cluster can only run it if its nodes already have the image.`,
      'Push Image First…',
      'Continue',
    );
    if (choice === 'Push Image First…') {
      await runCommand(Command.pushImage, built.image);
      return undefined;
    }
    if (choice !== 'Continue') return undefined;
  }
  const { renderKubernetesManifests, kubernetesName } = await import('../../../core/deploy/kubernetesManifests');
  const name = await vscode.window.showInputBox({
    title: 'Deploy to Kubernetes (1/3)',
    prompt: 'Name of the Deployment and Service',
    value: kubernetesName(`${built.modelName}-server`),
    ignoreFocusOut: true,
    validateInput: (v) =>
      /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v)
        ? undefined
        : 'Lower-case letters, digits and "-", starting with a letter, at most 63 characters',
  });
  if (!name) return undefined;
  const replicasText = await vscode.window.showInputBox({
    title: 'Deploy to Kubernetes (2/3)',
    prompt: 'Replicas',
    value: '1',
    ignoreFocusOut: true,
    validateInput: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 100 ? undefined : 'A whole number from 1 to 100'),
  });
  if (!replicasText) return undefined;
  const kserve = await vscode.window.showQuickPick(
    [
      { label: 'Deployment and Service', kserve: false },
      { label: 'Also a KServe InferenceService', description: 'the image as a custom predictor', kserve: true },
    ],
    { title: 'Deploy to Kubernetes (3/3)', ignoreFocusOut: true },
  );
  if (!kserve) return undefined;

  const { yaml } = renderKubernetesManifests({
    name,
    image,
    modelName: built.modelName,
    containerPort: built.containerPort,
    replicas: Number(replicasText),
    kserve: kserve.kserve,
  });
  const review = ReadonlyDocuments.uri(`${name}.yaml`, `k8s:${name}`);
  ctx.docs.set(review, yaml);
  await ctx.docs.show(review, 'yaml', { preview: true });

  const { findKubectl, applyManifests, rolloutStatus } = await import('../../../core/deploy/kubectl');
  const kubectl = await findKubectl(process.env);
  const choice = await vscode.window.showInformationMessage(
    `Deploy ${built.modelName} as "${name}"?`,
    {
      modal: true,
      detail: kubectl
        ? `The manifests are open for review. "Apply with kubectl" applies them to your current kubectl context (${kubectl}) and follows the rollout; "Save Manifests" writes deploy/k8s/${name}.yaml.`
        : `The manifests are open for review. kubectl was not found on PATH, so they cannot be applied from here: "Save Manifests" writes deploy/k8s/${name}.yaml to apply later with kubectl apply -f.`,
    },
    'Apply with kubectl',
    'Save Manifests',
  );
  if (!choice) return undefined;
  const base = {
    at: '',
    kind: 'kubernetes' as const,
    modelPath: built.modelPath,
    modelHash: built.modelHash,
    runId: built.runId,
    image: built.image,
    imageId: built.imageId,
    reference: image,
    digest: pushed?.digest,
  };
  const save = async (): Promise<string> => {
    const file = await saveManifests(ctx, built.modelPath, name, yaml);
    await recordLineage(ctx, { ...base, at: new Date().toISOString(), manifest: file });
    ctx.tree.refresh();
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    return file;
  };
  if (choice === 'Save Manifests') return save();
  if (!kubectl) {
    throw new UserError(
      'kubectl is not installed here (not found on PATH), so the manifests cannot be applied from VS Code. Save them and apply them with "kubectl apply -f" where kubectl is set up.',
      [{ title: 'Save Manifests', run: save }],
    );
  }
  const file = await saveManifests(ctx, built.modelPath, name, yaml);
  await withCancellableProgress(`Deploying ${name} to Kubernetes`, async (progress, signal) => {
    const onLog = (line: string) => {
      ctx.log.info(`[kubectl] ${line}`);
      progress.report({ message: line.slice(0, 80) });
    };
    const step = async (what: string, run: () => Promise<void>) => {
      progress.report({ message: `${what}…` });
      try {
        await run();
      } catch (e) {
        if (signal.aborted) throw e;
        // kubectl's own last words (no cluster, no permission, a bad field) under what was being done.
        const detail =
          (e as Error).message
            .split('\n')
            .filter((l) => l.trim())
            .slice(1)
            .slice(-3)
            .join('\n') || (e as Error).message;
        throw new UserError(
          `${what} failed in the current kubectl context: ${detail}\nThe manifests are saved in ${vscode.workspace.asRelativePath(file, false)}.`,
          [{ title: 'Open Manifests', run: () => vscode.window.showTextDocument(vscode.Uri.file(file)) }],
        );
      }
    };
    await step('kubectl apply', () => applyManifests({ kubectl, file, signal, onLog }));
    await step('Waiting for the rollout', () => rolloutStatus({ kubectl, name, timeoutSeconds: 300, signal, onLog }));
  });
  await recordLineage(ctx, { ...base, at: new Date().toISOString(), manifest: file });
  ctx.tree.refresh();
  void vscode.window.showInformationMessage(`Deployment ${name} rolled out (${image}).`);
  return file;
}
