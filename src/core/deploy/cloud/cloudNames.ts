/**
 * The name rules of each platform's endpoint resources, from their API references:
 * - SageMaker EndpointName / ModelName / EndpointConfigName: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$ (at most 63).
 * - Vertex AI endpoint id (letter first): [a-z0-9-], at most 63, ending in a letter or digit; model id: [a-z0-9_-],
 *   at most 63, not starting with a digit or hyphen. One name meeting both is used for both.
 * - Azure ML online endpoint: 3 to 32 characters, a letter first, letters, digits and '-', ending in a letter or digit.
 */
import type { CloudPlatform } from './cloudTypes';

const RULES: Record<CloudPlatform, { pattern: RegExp; max: number; min: number; says: string }> = {
  sagemaker: {
    pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
    min: 1,
    max: 63,
    says: 'letters, digits and single hyphens, at most 63, starting and ending with a letter or digit',
  },
  vertex: {
    pattern: /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
    min: 1,
    max: 63,
    says: 'lowercase letters, digits and hyphens, at most 63, a letter first, ending with a letter or digit',
  },
  azureml: {
    pattern: /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/,
    min: 3,
    max: 32,
    says: '3 to 32 letters, digits and hyphens, a letter first, ending with a letter or digit',
  },
};

/** Why `name` is not a valid endpoint name on the platform, or undefined when it is. */
export function checkEndpointName(platform: CloudPlatform, name: string): string | undefined {
  const r = RULES[platform];
  return r.pattern.test(name) ? undefined : `"${name}" is not a valid ${platform} endpoint name: ${r.says}`;
}

/** A valid endpoint name made from any text (an image's repository name, a model name). */
export function cloudEndpointName(platform: CloudPlatform, raw: string): string {
  const r = RULES[platform];
  let n = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, r.max)
    .replace(/-+$/, '');
  if (n.length < r.min) n = `${n || 'model'}-endpoint`.slice(0, r.max);
  return n;
}

/** A resource name with a suffix, the base cut so the whole stays within the platform's limit. */
export function withSuffix(platform: CloudPlatform, name: string, suffix: string): string {
  return `${name.slice(0, RULES[platform].max - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** The repository name an image is pushed under: the last path part of its repository, lowercase. */
export function repositoryName(image: string): string {
  const repo = image.startsWith('sha256:') ? 'model' : image.split('@')[0].replace(/:[^/:]*$/, '');
  const last = repo.split('/').pop() ?? 'model';
  return (
    last
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'model'
  );
}

/** The tag an image is pushed with: its own tag, else latest. */
export function imageTag(image: string): string {
  if (image.startsWith('sha256:') || image.includes('@')) return 'latest';
  const m = /:([^/:]+)$/.exec(image);
  return m ? m[1] : 'latest';
}
