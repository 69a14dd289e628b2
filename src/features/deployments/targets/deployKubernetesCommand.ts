import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { UserError } from '../../../vscode/userError';
import { pickBuiltImage } from '../containers/containerCommands';
import { ReadonlyDocuments } from '../readonlyDocuments';
import { recordLineage, withCancellableProgress, workspaceRootFor, type DeployContext } from '../deployContext';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';

async function saveManifests(ctx: DeployContext, modelPath: string, name: string, yaml: string): Promise<string> {
  const file = path.join(workspaceRootFor(modelPath || undefined), 'deploy', 'k8s', `${name}.yaml`);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, yaml);
  ctx.log.info(`Saved Kubernetes manifests to ${file}`);
  return file;
}

/**
 * "ML: Deploy to Kubernetes…": a Deployment and Service (optionally a KServe InferenceService) for
 * an image built here, shown for review, then applied with kubectl and followed until rolled out,
 * or saved to deploy/k8s/<name>.yaml. Resolves with the saved or applied manifest path.
 */
export async function deployKubernetesCommand(ctx: DeployContext, arg: unknown): Promise<string | undefined> {
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
