/**
 * Bumps the image of a model's containers in a Kubernetes manifest file (one or more YAML documents): every
 * container of the named Deployment (and of a KServe InferenceService of that name) whose image is `from` gets `to`.
 * The rest of the file (comments, order, the user's own edits) is kept, so `git diff` shows the one changed line
 * per container. Pure text in, text out.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';

export class ManifestBumpError extends Error {}

const CONTAINER_PATHS: Record<string, (string | number)[]> = {
  Deployment: ['spec', 'template', 'spec', 'containers'],
  InferenceService: ['spec', 'predictor', 'containers'],
};

/** The text with `from` replaced by `to` in the containers of `deployment`; how many containers changed. */
export function bumpManifestImage(
  text: string,
  opts: { deployment: string; from: string; to: string; file?: string },
): { text: string; changed: number; images: string[] } {
  const where = opts.file ?? 'the manifest';
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new ManifestBumpError(`${where} holds no YAML document`);
  const edits: [number, number][] = [];
  let found = false;
  const images: string[] = [];
  for (const doc of docs as Document.Parsed[]) {
    if (doc.errors.length) throw new ManifestBumpError(`${where}: ${doc.errors[0].message.split('\n')[0]}`);
    const kind = doc.get('kind');
    const name = doc.getIn(['metadata', 'name']);
    const at = typeof kind === 'string' ? CONTAINER_PATHS[kind] : undefined;
    if (!at || name !== opts.deployment) continue;
    const containers = doc.getIn(at, true);
    if (!isSeq(containers)) continue;
    found = true;
    for (const c of containers.items) {
      if (!isMap(c)) continue;
      const image = c.get('image', true);
      if (!isScalar(image) || !image.range) continue;
      const value = String(image.value);
      if (value === opts.from || value === opts.to) {
        if (value === opts.from && opts.from !== opts.to) edits.push([image.range[0], image.range[1]]);
        images.push(opts.to);
      } else images.push(value);
    }
  }
  if (!found)
    throw new ManifestBumpError(`${where} has no Deployment named ${opts.deployment}: was it renamed? Deploy again with mlw deploy k8s`);
  if (!images.includes(opts.to))
    throw new ManifestBumpError(
      `${where}: no container of deployment ${opts.deployment} runs ${opts.from} (they run ${images.join(', ') || 'no image'}); set its image back or deploy again with mlw deploy k8s`,
    );
  let out = text;
  for (const [start, end] of edits.sort((a, b) => b[0] - a[0])) {
    const q = out[start] === '"' || out[start] === "'" ? out[start] : '';
    out = `${out.slice(0, start)}${q}${opts.to}${q}${out.slice(end)}`;
  }
  return { text: out, changed: edits.length, images };
}
