/** Tag an image for a registry and push it, following every progress item. */
import type { DockerEngine, RegistryAuth } from '../docker/dockerEngine';
import { parseImageTag } from '../docker/imageName';

export { RegistryAuthError, RegistryUnreachableError } from '../docker/engineErrors';
export { dockerLoginAuth, readDockerConfigAuth, credentialHelperFor } from './dockerConfigAuth';

/**
 * Pushes `image` as `target` (e.g. 127.0.0.1:5000/team/model:1.0; without a tag: the image's tag, else latest).
 * Returns the pushed reference by digest (repository@sha256:...) and the digest.
 */
export async function pushImage(opts: {
  engine: DockerEngine;
  image: string;
  target: string;
  auth?: RegistryAuth;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
}): Promise<{ reference: string; digest: string }> {
  const { repository, tag } = parseImageTag(opts.target);
  const sourceTag = opts.image.includes('@') || opts.image.startsWith('sha256:') ? undefined : parseImageTag(opts.image).tag;
  const finalTag = tag ?? sourceTag ?? 'latest';
  await opts.engine.tagImage(opts.image, repository, finalTag);
  const { digest } = await opts.engine.push({
    reference: `${repository}:${finalTag}`,
    auth: opts.auth,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  return { reference: `${repository}@${digest}`, digest };
}
