/**
 * Containerize a model (or a folder of models): render the Dockerfile, stream the build context, build and tag.
 * The image runs the project's own model server and serves each model under its file name.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { summarizeModel } from '../onnx/summarizeModel';
import { sha256File } from '../sha256File';
import { sidecarProfilePath } from '../serve/driftReport';
import { defaultModelName } from '../serve/modelSources';
import { contextEntries, packContext } from './buildContext';
import { LABELS, type DockerEngine } from './dockerEngine';
import { imageNameFor, imageTags, parseImageTag } from './imageName';
import { modelImageVersion } from './imageVersion';
import { DEFAULT_BASE_IMAGE, DEFAULT_CONTAINER_PORT, renderDockerfile, renderDockerignore } from './renderDockerfile';
import type { ServerAssets } from './serverAssets';

export interface ContainerizeResult {
  /** name:tag */
  image: string;
  tags: string[];
  imageId: string;
  modelHash: string;
  modelName: string;
  containerPort: number;
  dockerfile: string;
  buildMs: number;
}

export interface ModelPlan {
  modelName: string;
  modelHash: string;
  /** Context path (models/...) -> file on disk, and the served name. */
  files: { name: string; file: string; served: string }[];
  /** External data files the models reference, placed beside them at the same relative location. */
  dataFiles: { name: string; file: string }[];
  /**
   * Drift reference profiles (<model>.profile.json, as Build Reference Profile… writes them) beside the models,
   * placed beside each model's copy so the server in the image reads them. They are not part of the model hash.
   */
  profiles: { name: string; file: string }[];
  serveTarget: string;
}

/**
 * The external data files (`data_location = EXTERNAL`) of each model, at the same location relative to the
 * model's copy in the context. A file that is missing or escapes the model's folder is an error here rather
 * than a server that fails to start in the container. A file the ONNX reader cannot parse is left to the server.
 */
async function externalDataFiles(files: ModelPlan['files'], signal?: AbortSignal): Promise<ModelPlan['dataFiles']> {
  const out = new Map<string, string>();
  for (const f of files) {
    signal?.throwIfAborted();
    const summary = await summarizeModel(f.file).catch(() => undefined);
    for (const ext of summary?.externalData ?? []) {
      if (ext.error || ext.size === undefined)
        throw new Error(
          `${path.basename(f.file)} keeps weights in external data "${ext.location}" that cannot be packed: ${ext.error ?? 'file not found'}`,
        );
      const name = path.posix.join(path.posix.dirname(f.name), ext.location.split(path.sep).join('/'));
      if (!name.startsWith('models/'))
        throw new Error(`${path.basename(f.file)}: external data "${ext.location}" lies outside the model's folder`);
      out.set(name, path.resolve(path.dirname(f.file), ext.location));
    }
  }
  return [...out].map(([name, file]) => ({ name, file }));
}

/** The reference profile beside each model file that has one, under the context name the server looks for. */
async function referenceProfiles(files: ModelPlan['files']): Promise<ModelPlan['profiles']> {
  const out: ModelPlan['profiles'] = [];
  for (const f of files) {
    const file = sidecarProfilePath(f.file);
    const isFile = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isFile) out.push({ name: `${f.name.replace(/\.onnx$/i, '')}.profile.json`, file });
  }
  return out;
}

/** A name the server accepts (letters, digits, '_', '.', '-', starting with a letter or digit). */
export function servedModelName(base: string): string {
  const name = base.replace(/[^A-Za-z0-9_.-]+/g, '_');
  return /^[A-Za-z0-9]/.test(name) ? name : `m${name}`;
}

/**
 * Which files go into the image and under which names: a file is served under its file name; a folder serves
 * its *.onnx files and each <sub>/model.onnx (named after <sub>), as `mlw serve <folder>` does. Names the
 * server would refuse get '_' for the offending characters. The model hash is the file's sha256 (for a folder:
 * sha256 over "name sha256" lines).
 */
export async function planModel(modelPath: string, signal?: AbortSignal): Promise<ModelPlan> {
  const abs = path.resolve(modelPath);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new Error(`Model not found: ${modelPath}`);
  const files: ModelPlan['files'] = [];
  if (st.isDirectory()) {
    const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.isFile() && /\.onnx$/i.test(e.name)) {
        const served = servedModelName(defaultModelName(e.name));
        files.push({ name: `models/${served}.onnx`, file: path.join(abs, e.name), served });
      } else if (
        e.isDirectory() &&
        (await stat(path.join(abs, e.name, 'model.onnx')).then(
          (s) => s.isFile(),
          () => false,
        ))
      ) {
        const served = servedModelName(e.name);
        files.push({ name: `models/${served}/model.onnx`, file: path.join(abs, e.name, 'model.onnx'), served });
      }
    }
    if (files.length === 0) throw new Error(`No .onnx models in folder ${modelPath}`);
  } else {
    const served = servedModelName(defaultModelName(abs));
    files.push({ name: `models/${served}.onnx`, file: abs, served });
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.served)) throw new Error(`Two models in ${modelPath} would both be served as "${f.served}": rename one`);
    seen.add(f.served);
  }
  const dataFiles = await externalDataFiles(files, signal);
  const hashes: string[] = [];
  for (const f of files) hashes.push(`${f.served} ${(await sha256File(f.file, signal)).sha256}`);
  for (const d of dataFiles) hashes.push(`${d.name} ${(await sha256File(d.file, signal)).sha256}`);
  // One plain model file keeps the file's own hash, so it matches `sha256sum model.onnx`.
  const single = !st.isDirectory() && dataFiles.length === 0;
  const modelHash = single ? hashes[0].split(' ')[1] : createHash('sha256').update(hashes.join('\n')).digest('hex');
  const modelName = st.isDirectory() ? imageNameFor(abs) : files[0].served;
  const profiles = await referenceProfiles(files);
  return { modelName, modelHash, files, dataFiles, profiles, serveTarget: st.isDirectory() ? '/models' : `/${files[0].name}` };
}

/** The generated Dockerfile for a planned model. */
export function modelDockerfile(plan: ModelPlan, opts: { baseImage: string; runId?: string; containerPort: number }): string {
  return renderDockerfile({
    baseImage: opts.baseImage,
    modelFiles: plan.files.map((f) => f.name),
    modelName: plan.modelName,
    modelHash: plan.modelHash,
    runId: opts.runId,
    containerPort: opts.containerPort,
    serveTarget: plan.serveTarget,
  });
}

export async function containerizeModel(opts: {
  engine: DockerEngine;
  modelPath: string;
  assets: ServerAssets;
  tag?: string;
  /** The version tag (e.g. v3) next to latest when no `tag` is given; default from the registry or the model's model_version. */
  version?: string;
  /** The workspace whose model registry names the version of this model (matched by sha256). */
  workspace?: string;
  baseImage?: string;
  runId?: string;
  /** A user-kept Dockerfile to use instead of the rendered one. */
  dockerfilePath?: string;
  containerPort?: number;
  /** planModel(modelPath) when the caller already has it (the model is not hashed again). */
  plan?: ModelPlan;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}): Promise<ContainerizeResult> {
  const t0 = Date.now();
  const plan = opts.plan ?? (await planModel(opts.modelPath, opts.signal));
  const containerPort = opts.containerPort ?? DEFAULT_CONTAINER_PORT;
  const baseImage = opts.baseImage || DEFAULT_BASE_IMAGE;
  // A --tag with its own tag (name:1.0) is taken as given; a bare name still gets the model's version.
  const version =
    opts.tag && parseImageTag(opts.tag).tag
      ? undefined
      : (opts.version ?? (await modelImageVersion({ modelHash: plan.modelHash, files: plan.files, workspace: opts.workspace })));
  const tags = imageTags({ modelPath: opts.modelPath, modelHash: plan.modelHash, tag: opts.tag, version });
  const dockerfile = opts.dockerfilePath
    ? await readFile(opts.dockerfilePath, 'utf8')
    : modelDockerfile(plan, { baseImage, runId: opts.runId, containerPort });
  // Binaries for the engine's architecture, not this machine's (e.g. Docker Desktop on an arm64 Mac runs linux/arm64).
  const arch = await opts.engine.nodeArch().catch(() => process.arch);
  const entries = await contextEntries({
    dockerfile,
    dockerignore: renderDockerignore(),
    assets: opts.assets,
    models: [...plan.files, ...plan.dataFiles, ...plan.profiles],
    arch,
  });
  opts.onLog?.(
    `Build context: ${entries.length} files, ${(entries.reduce((n, e) => n + e.size, 0) / 1e6).toFixed(1)} MB; tags ${tags.join(', ')}`,
  );
  const labels: Record<string, string> = {
    [LABELS.modelName]: plan.modelName,
    [LABELS.modelHash]: plan.modelHash,
    [LABELS.model]: path.basename(opts.modelPath),
    [LABELS.servedModels]: plan.files.map((f) => f.served).join(','),
    ...(opts.runId ? { [LABELS.runId]: opts.runId } : {}),
  };
  const { imageId } = await opts.engine.build({
    context: await packContext(entries),
    tags,
    buildArgs: { BASE_IMAGE: baseImage },
    labels,
    signal: opts.signal,
    onLog: opts.onLog,
  });
  return {
    image: tags[0],
    tags,
    imageId,
    modelHash: plan.modelHash,
    modelName: plan.modelName,
    containerPort,
    dockerfile,
    buildMs: Date.now() - t0,
  };
}
