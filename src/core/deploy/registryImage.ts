/**
 * The image of a registry version: `NAME:vN` (NAME made Docker-safe), serving the model under NAME whatever its
 * file is called, so the endpoint's model path stays the same across versions. An image of that tag built from the
 * same sha256 is reused; otherwise it is built. The drift reference profile packed with it is the one beside the
 * version's file, else the one beside the model file its run wrote in the workspace (a version registered from a
 * run is a snapshot in .mlw/blobs/, where nobody builds a profile).
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { sidecarProfilePath } from '../serve/driftReport';
import { containerizeModel, planModel, servedModelName } from '../docker/containerizeModel';
import { LABELS, type DockerEngine } from '../docker/dockerEngine';
import { imageNameFor } from '../docker/imageName';
import { DEFAULT_CONTAINER_PORT } from '../docker/renderDockerfile';
import type { ServerAssets } from '../docker/serverAssets';
import type { ResolvedRef } from '../registry/registryRef';

export interface VersionImage {
  image: string;
  reused: boolean;
  /** The name the server in it serves the model under. */
  served: string;
  containerPort: number;
}

export async function registryVersionImage(opts: {
  engine: DockerEngine;
  workspace: string;
  ref: ResolvedRef;
  assets: ServerAssets;
  baseImage: string;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}): Promise<VersionImage> {
  const { ref } = opts;
  const image = `${imageNameFor(ref.name)}:v${ref.version.version}`;
  const served = servedModelName(ref.name);
  const have = await opts.engine.inspectImage(image).catch(() => undefined);
  if (have && have.labels[LABELS.modelHash] === ref.version.sha256 && have.labels[LABELS.servedModels] === served)
    return { image, reused: true, served, containerPort: have.exposedPorts[0] ?? DEFAULT_CONTAINER_PORT };
  const plan = await planModel(ref.file, opts.signal);
  if (plan.files.length !== 1) throw new Error(`${ref.name} version ${ref.version.version} is not one model file: ${ref.file}`);
  const file = `models/${served}.onnx`;
  const profile = plan.profiles[0]?.file ?? (await workspaceProfile(opts.workspace, ref));
  const renamed = {
    ...plan,
    modelName: served,
    files: [{ ...plan.files[0], name: file, served }],
    profiles: profile ? [{ name: `models/${served}.profile.json`, file: profile }] : [],
    serveTarget: `/${file}`,
  };
  const built = await containerizeModel({
    engine: opts.engine,
    modelPath: ref.file,
    plan: renamed,
    tag: image,
    workspace: opts.workspace,
    assets: opts.assets,
    baseImage: opts.baseImage,
    signal: opts.signal,
    onLog: opts.onLog,
  });
  return { image, reused: false, served, containerPort: built.containerPort };
}

/** The profile beside the model file the version's run wrote (its artifact path, in the workspace), if there is one. */
async function workspaceProfile(workspace: string, ref: ResolvedRef): Promise<string | undefined> {
  const artifact = ref.version.source.artifact;
  if (!artifact) return undefined;
  const file = sidecarProfilePath(path.resolve(workspace, artifact));
  return (await stat(file).then(
    (s) => s.isFile(),
    () => false,
  ))
    ? file
    : undefined;
}
