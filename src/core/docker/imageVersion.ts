/**
 * The version an image of a model is tagged with when no --tag is given: the model registry's version of that
 * model (matched by sha256), else the ONNX model_version of a single model file; `v<N>` either way.
 */
import { RegistryStore } from '../registry/RegistryStore';
import { summarizeModel } from '../onnx/summarizeModel';

/** The highest registry version whose file has this sha256, in the workspace's registry. */
export async function registryVersionOf(workspace: string, sha256: string): Promise<number | undefined> {
  const models = await new RegistryStore(workspace).list().catch(() => []);
  let best: number | undefined;
  for (const m of models) for (const v of m.versions) if (v.sha256 === sha256 && (best === undefined || v.version > best)) best = v.version;
  return best;
}

/** model_version of an ONNX file when set (> 0). */
export async function onnxModelVersion(file: string): Promise<number | undefined> {
  const summary = await summarizeModel(file).catch(() => undefined);
  const v = Number(summary?.modelVersion ?? 0);
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/** `v<N>` from the registry (when `workspace` is given) or the model file, else undefined (the image gets `latest` only). */
export async function modelImageVersion(opts: {
  modelHash: string;
  files: readonly { file: string }[];
  workspace?: string;
}): Promise<string | undefined> {
  const registered = opts.workspace ? await registryVersionOf(opts.workspace, opts.modelHash) : undefined;
  if (registered !== undefined) return `v${registered}`;
  if (opts.files.length !== 1) return undefined;
  const v = await onnxModelVersion(opts.files[0].file);
  return v === undefined ? undefined : `v${v}`;
}
