/** Docker-safe image names and tags derived from model files. */
import * as path from 'node:path';

/** A repository name from a model file or folder: lowercase, [a-z0-9] separated by single '-', '.', '_'. */
export function imageNameFor(modelPath: string): string {
  const base = path.basename(modelPath).replace(/\.onnx$/i, '');
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return name || 'model';
}

const REPOSITORY = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Splits and validates "repository[:tag]"; throws a readable error on a bad reference. */
export function parseImageTag(reference: string): { repository: string; tag?: string } {
  const colon = reference.lastIndexOf(':');
  const hasTag = colon > reference.lastIndexOf('/');
  const repository = hasTag ? reference.slice(0, colon) : reference;
  const tag = hasTag ? reference.slice(colon + 1) : undefined;
  if (!REPOSITORY.test(repository))
    throw new Error(
      `"${reference}" is not a valid image name: use lowercase letters, digits and single '-', '.' or '_' (e.g. team/model:1.0)`,
    );
  if (tag !== undefined && !TAG.test(tag))
    throw new Error(`"${tag}" is not a valid tag: letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'`);
  return { repository, tag };
}

/**
 * The tags an image gets: "<name>:<tag>" for an explicit --tag; else "<name>:<version>" and "<name>:latest" when the
 * model has a version (e.g. v3), "<name>:latest" when not; and always "<name>:<first 12 of the model sha256>".
 * The first tag is the image's name.
 */
export function imageTags(opts: { modelPath: string; modelHash: string; tag?: string; version?: string }): string[] {
  const { repository, tag } = opts.tag ? parseImageTag(opts.tag) : { repository: imageNameFor(opts.modelPath), tag: undefined };
  if (!tag && opts.version !== undefined && !TAG.test(opts.version)) throw new Error(`"${opts.version}" is not a valid image tag`);
  const names = tag ? [tag] : opts.version && opts.version !== 'latest' ? [opts.version, 'latest'] : ['latest'];
  const tags = [...names, opts.modelHash.slice(0, 12)].map((t) => `${repository}:${t}`);
  return [...new Set(tags)];
}
