import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { containerizeModel, modelDockerfile, planModel, type ModelPlan } from '../../core/docker/containerizeModel';
import { DockerEngine } from '../../core/docker/dockerEngine';
import { findEngine } from '../../core/docker/findEngine';
import { DEFAULT_BASE_IMAGE, DEFAULT_CONTAINER_PORT, renderDockerignore } from '../../core/docker/renderDockerfile';
import { locateServerAssets } from '../../core/docker/serverAssets';
import { appendLineage } from '../../core/deploy/lineage';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { findUpwards } from '../../core/findUpwards';

/** The package root: the first folder above this file holding dist/server.js (dist/mlw.js sits next to it). */
export function packageRoot(from = __dirname): string {
  if (process.env.MLW_PACKAGE_ROOT) return process.env.MLW_PACKAGE_ROOT;
  const isRoot = (dir: string) =>
    existsSync(path.join(dir, 'dist', 'server.js')) && existsSync(path.join(dir, 'node_modules', 'onnxruntime-node'));
  return findUpwards(from, isRoot) ?? path.resolve(from, '..');
}

/** Finds and connects to the engine (--docker-host, else DOCKER_HOST, the Docker context, default and Podman sockets). */
export async function connectEngine(dockerHost: string | undefined): Promise<DockerEngine> {
  return DockerEngine.connect(await findEngine({ dockerHost, env: process.env }));
}

export function buildLogger(ctx: CliContext): (line: string) => void {
  // Build output goes to stderr so --json keeps stdout to one document.
  return (line) => (ctx.json ? ctx.logger.info(line) : ctx.err(line));
}

export const containerizeCommand: CliCommand = {
  name: 'containerize',
  summary: 'Build a Docker image that serves an ONNX model (or a folder of models)',
  usage: `mlw containerize <model.onnx|folder> [--tag name:tag] [--base-image IMG] [--keep DIR [--force]] [--dockerfile FILE] [--run-id ID] [--docker-host URL] [--json]

Builds an image that runs the ML Workbench model server (Open Inference Protocol v2) on port ${DEFAULT_CONTAINER_PORT}; each model
is served under its file name. Tags: <name>:v<N> and <name>:latest when the model has a version (the workspace
registry's version of this sha256, else the ONNX model_version), <name>:latest when not, and <name>:<first 12 of the sha256>.
  --tag name[:tag]     image name and version (default: from the model file name; a bare name keeps the version tags)
  --base-image IMG     a Node.js image to build on (default ${DEFAULT_BASE_IMAGE})
  --keep DIR           also write the generated Dockerfile and .dockerignore to DIR (refuses to overwrite without --force)
  --dockerfile FILE    build with this (kept, edited) Dockerfile instead of the generated one
  --run-id ID          the run the model came from (image label, lineage)
  --docker-host URL    engine address; default DOCKER_HOST, the Docker context, then the default and Podman sockets`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        tag: { type: 'string' },
        'base-image': { type: 'string' },
        keep: { type: 'string' },
        force: { type: 'boolean' },
        dockerfile: { type: 'string' },
        'run-id': { type: 'string' },
        'docker-host': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one model file or folder');
    const modelPath = path.resolve(ctx.workspace, positionals[0]);
    if (!existsSync(modelPath)) throw new UsageError(`model not found: ${positionals[0]}`);
    const baseImage = values['base-image'] ?? DEFAULT_BASE_IMAGE;
    const dockerfilePath = values.dockerfile ? path.resolve(ctx.workspace, values.dockerfile) : undefined;
    if (dockerfilePath && !existsSync(dockerfilePath)) throw new UsageError(`Dockerfile not found: ${values.dockerfile}`);
    const assets = locateServerAssets(packageRoot());
    let plan: ModelPlan | undefined;
    if (values.keep) {
      const dir = path.resolve(ctx.workspace, values.keep);
      const target = path.join(dir, 'Dockerfile');
      if (existsSync(target) && !values.force)
        throw new UsageError(`${target} exists: build from it with --dockerfile, or regenerate it with --force`);
      plan = await planModel(modelPath, ctx.signal);
      await mkdir(dir, { recursive: true });
      await writeFile(target, modelDockerfile(plan, { baseImage, runId: values['run-id'], containerPort: DEFAULT_CONTAINER_PORT }));
      await writeFile(path.join(dir, '.dockerignore'), renderDockerignore());
      if (!ctx.json) ctx.err(`Wrote ${target} and .dockerignore`);
    }
    const engine = await connectEngine(values['docker-host']);
    const result = await containerizeModel({
      engine,
      modelPath,
      plan,
      assets,
      tag: values.tag,
      workspace: ctx.workspace,
      baseImage,
      runId: values['run-id'],
      dockerfilePath,
      signal: ctx.signal,
      onLog: buildLogger(ctx),
    });
    await appendLineage(ctx.workspace, {
      at: new Date().toISOString(),
      kind: 'image',
      modelPath,
      modelHash: result.modelHash,
      runId: values['run-id'],
      image: result.image,
      imageId: result.imageId,
    }).catch((e: Error) => ctx.logger.warn(`lineage not recorded: ${e.message}`));
    if (ctx.json) ctx.out(JSON.stringify({ ...result, engine: engine.endpoint.description }, null, 2));
    else {
      ctx.out(
        `Built ${result.tags.join(', ')} (${result.imageId.slice(7, 19)}) in ${(result.buildMs / 1000).toFixed(1)} s on ${engine.endpoint.description}`,
      );
      ctx.out(`Serves model "${result.modelName}" on port ${result.containerPort}. Run it: mlw deploy local ${result.image}`);
    }
    return 0;
  },
};
