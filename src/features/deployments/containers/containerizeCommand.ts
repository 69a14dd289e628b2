import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { ContainerizeResult } from '../../../core/docker/containerizeModel';
import { writeFileAtomic } from '../../../core/runs/atomicWrite';
import { UserError } from '../../../vscode/userError';
import { pickModel } from '../serving/servingCommands';
import { pickModelVariant } from '../../../vscode/modelVariants';
import { baseImageSetting } from './dockerService';
import { ReadonlyDocuments } from '../readonlyDocuments';
import { recordLineage, runIdFromPath, withCancellableProgress, workspaceRootFor, type DeployContext } from '../deployContext';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';

/** Where "Keep in Workspace" puts a model's Dockerfile and .dockerignore: <model folder>/docker/<model name>/. */
export function keptFolder(modelPath: string): string {
  return path.join(path.dirname(modelPath), 'docker', path.basename(modelPath, path.extname(modelPath)));
}

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  );
}

interface Plan {
  /** A Dockerfile in the workspace to build with, or undefined to build the freshly rendered one. */
  dockerfilePath?: string;
}

/**
 * Shows what will be built and asks how: the kept Dockerfile when there is one (regenerating it
 * only with consent), else the rendered one in a read-only editor, built as is or kept first.
 */
async function review(ctx: DeployContext, modelPath: string, baseImage: string): Promise<Plan | undefined> {
  const kept = keptFolder(modelPath);
  const keptDockerfile = path.join(kept, 'Dockerfile');
  const rel = vscode.workspace.asRelativePath(keptDockerfile, false);
  if (await exists(keptDockerfile)) {
    await vscode.window.showTextDocument(vscode.Uri.file(keptDockerfile), { preview: true });
    const choice = await vscode.window.showInformationMessage(
      `Build ${path.basename(modelPath)} with the Dockerfile kept in ${rel}?`,
      {
        modal: true,
        detail:
          'Your edits to the kept Dockerfile are used as they are. "Regenerate" overwrites it and its .dockerignore with freshly generated files.',
      },
      'Build',
      'Regenerate and Build',
    );
    if (choice === 'Build') return { dockerfilePath: keptDockerfile };
    if (choice !== 'Regenerate and Build') return undefined;
    const { dockerfile, dockerignore } = await renderFor(modelPath, baseImage);
    await writeKept(kept, dockerfile, dockerignore);
    ctx.log.info(`Regenerated ${keptDockerfile}`);
    return { dockerfilePath: keptDockerfile };
  }

  const { dockerfile, dockerignore } = await renderFor(modelPath, baseImage);
  const uri = ReadonlyDocuments.uri('Dockerfile', `review:${modelPath}`);
  ctx.docs.set(uri, dockerfile);
  await ctx.docs.show(uri, 'dockerfile', { preview: true });
  const choice = await vscode.window.showInformationMessage(
    `Build a serving image for ${path.basename(modelPath)}?`,
    {
      modal: true,
      detail: `The generated Dockerfile is open for review (base image ${baseImage}). "Keep in Workspace" writes it and its .dockerignore to ${vscode.workspace.asRelativePath(kept, false)}/, where you can edit them; later builds use them.`,
    },
    'Build',
    'Keep in Workspace and Build',
  );
  if (choice === 'Build') return {};
  if (choice !== 'Keep in Workspace and Build') return undefined;
  await writeKept(kept, dockerfile, dockerignore);
  // The kept copy replaces the read-only review; focus stays where it was while the build runs.
  await vscode.window.showTextDocument(vscode.Uri.file(keptDockerfile), { preview: false, preserveFocus: true });
  ctx.log.info(`Kept ${keptDockerfile}`);
  return { dockerfilePath: keptDockerfile };
}

/** Each file appears whole (written beside, then renamed), the .dockerignore first: a Dockerfile seen is complete. */
async function writeKept(dir: string, dockerfile: string, dockerignore: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, '.dockerignore'), dockerignore);
  await writeFileAtomic(path.join(dir, 'Dockerfile'), dockerfile);
}

async function renderFor(modelPath: string, baseImage: string): Promise<{ dockerfile: string; dockerignore: string }> {
  const { planContainerize } = await import('./containerizePlan');
  return planContainerize(modelPath, baseImage, runIdFromPath(modelPath));
}

/** The failed build's own words (they name the failing step) under the model's name; the full log is in the output channel. */
function buildFailure(e: Error, model: string): UserError {
  return new UserError(`Could not build the image for ${model}. ${e.message}`);
}

/** "ML: Containerize Model": review the Dockerfile, build the image, offer to run it. Resolves with the build result. */
export async function containerizeModelCommand(ctx: DeployContext, arg: unknown): Promise<ContainerizeResult | undefined> {
  const model = await pickModel(arg, 'Containerize Model', 'ONNX model to build a serving image for');
  if (!model) return undefined;
  if (model.scheme !== 'file') throw new UserError(`Only models on the local file system can be containerized (${model.toString()}).`);
  const uri = await pickModelVariant(model, 'Containerize');
  const modelPath = uri.fsPath;
  const modelFile = path.basename(modelPath);
  const engine = await ctx.docker.engine(() => runCommand(Command.containerizeModel, uri));
  const baseImage = await baseImageSetting();
  const plan = await review(ctx, modelPath, baseImage);
  if (!plan) return undefined;

  const [{ containerizeModel }, { locateServerAssets }, { BuildFailedError }] = await Promise.all([
    import('../../../core/docker/containerizeModel'),
    import('../../../core/docker/serverAssets'),
    import('../../../core/docker/engineErrors'),
  ]);
  const assets = locateServerAssets(ctx.context.extensionUri.fsPath);
  const runId = runIdFromPath(modelPath);
  ctx.log.info(`Containerizing ${modelPath} (base image ${baseImage}${plan.dockerfilePath ? `, Dockerfile ${plan.dockerfilePath}` : ''})`);
  const result = await withCancellableProgress(`Building the image for ${modelFile}`, async (progress, signal) => {
    progress.report({ message: 'sending the build context…' });
    try {
      return await containerizeModel({
        engine,
        modelPath,
        workspace: registryWorkspace(modelPath),
        assets,
        baseImage,
        runId,
        dockerfilePath: plan.dockerfilePath,
        signal,
        onLog: (line) => {
          ctx.log.info(`[build] ${line}`);
          const step = /^Step \d+\/\d+ : .*/.exec(line.trim());
          if (step) progress.report({ message: step[0].slice(0, 80) });
        },
      });
    } catch (e) {
      if (e instanceof BuildFailedError) {
        ctx.log.error(`Build failed${e.step ? ` at ${e.step}` : ''}:\n${e.log}`);
        throw buildFailure(e, modelFile);
      }
      throw e;
    }
  });
  ctx.log.info(`Built ${result.image} (${result.imageId}) in ${(result.buildMs / 1000).toFixed(1)} s`);
  await ctx.images.add({
    image: result.image,
    imageId: result.imageId,
    modelName: result.modelName,
    modelPath,
    modelHash: result.modelHash,
    runId,
    containerPort: result.containerPort,
    builtAt: Date.now(),
  });
  await recordLineage(ctx, {
    at: new Date().toISOString(),
    kind: 'image',
    modelPath,
    modelHash: result.modelHash,
    runId,
    image: result.image,
    imageId: result.imageId,
  });
  void vscode.window
    .showInformationMessage(`Built ${result.image} in ${(result.buildMs / 1000).toFixed(1)} s.`, 'Run Locally', 'Push Image…')
    .then((choice) => {
      if (choice === 'Run Locally') return runCommand(Command.runContainer, result.image);
      if (choice === 'Push Image…') return runCommand(Command.pushImage, result.image);
      return undefined;
    });
  return result;
}

/** The workspace whose model registry may name this model's version (the image's tag), if a folder is open. */
function registryWorkspace(modelPath: string): string | undefined {
  try {
    return workspaceRootFor(modelPath);
  } catch {
    return undefined;
  }
}
