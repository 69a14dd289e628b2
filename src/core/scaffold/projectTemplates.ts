import * as path from 'node:path';
import { existsSync, promises as fsp } from 'node:fs';
import { findUpwards } from '../findUpwards';

/** The template ids, in the order pickers list them. */
export const TEMPLATE_IDS = ['tabular-classifier', 'image-classifier', 'text-classifier', 'recommender'] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

/** The files every template gets, kept once in `templates/_common/`. */
export const COMMON_DIR = '_common';

/** What `templates/<id>/template.json` says about a template. */
export interface ProjectTemplate {
  id: TemplateId;
  title: string;
  description: string;
  detail: string;
  /** Python modules (import names) the project needs: checked against the chosen interpreter. */
  requires: string[];
  /** The model file a first training writes, relative to the project. */
  model: string;
  /** Absolute path of the template's folder. */
  dir: string;
}

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

export function isTemplateId(id: string): id is TemplateId {
  return (TEMPLATE_IDS as readonly string[]).includes(id);
}

let cachedRoot: string | null | undefined;

/**
 * The folder holding the templates: the repository's / extension's `templates/`, found by walking
 * up from this file (out/src/core/scaffold in tests, dist/ in the bundle).
 */
export function defaultTemplatesRoot(): string | undefined {
  if (cachedRoot === undefined) {
    const isRoot = (t: string) => existsSync(path.join(t, COMMON_DIR)) && existsSync(path.join(t, TEMPLATE_IDS[0], 'template.json'));
    const dir = findUpwards(__dirname, (d) => isRoot(path.join(d, 'templates')), 5);
    cachedRoot = dir ? path.join(dir, 'templates') : null;
  }
  return cachedRoot ?? undefined;
}

function templatesRootOrThrow(root?: string): string {
  const found = root ?? defaultTemplatesRoot();
  if (!found)
    throw new ScaffoldError('The project templates are missing from this installation (no templates/ folder next to the extension).');
  return found;
}

function stringField(data: Record<string, unknown>, key: string, file: string): string {
  const v = data[key];
  if (typeof v !== 'string' || !v) throw new ScaffoldError(`${file}: "${key}" must be a non-empty string`);
  return v;
}

/** Reads one template's manifest. */
export async function readTemplate(id: string, root?: string): Promise<ProjectTemplate> {
  if (!isTemplateId(id)) throw new ScaffoldError(`Unknown template "${id}". Templates: ${TEMPLATE_IDS.join(', ')}.`);
  const dir = path.join(templatesRootOrThrow(root), id);
  const file = path.join(dir, 'template.json');
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ScaffoldError(`Cannot read the ${id} template (${file}): ${(e as Error).message}`);
  }
  const requires = Array.isArray(data.requires) ? data.requires.filter((m): m is string => typeof m === 'string') : [];
  return {
    id,
    title: stringField(data, 'title', file),
    description: stringField(data, 'description', file),
    detail: typeof data.detail === 'string' ? data.detail : '',
    requires,
    model: typeof data.model === 'string' ? data.model : 'model.onnx',
    dir,
  };
}

/** Every template, in TEMPLATE_IDS order. */
export async function listTemplates(root?: string): Promise<ProjectTemplate[]> {
  return Promise.all(TEMPLATE_IDS.map((id) => readTemplate(id, root)));
}
