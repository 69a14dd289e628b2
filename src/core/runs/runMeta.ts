import type { Run } from './runTypes';

/**
 * What the user changed about a run after the fact: its name, experiment, tags and notes. A run's
 * run.json never changes once the run has ended; these edits live in `meta.json` beside it and are
 * applied on every read (RunStore.readRun and listRuns), so every reader (Runs view, dashboard,
 * Compare, `mlw runs --json`) sees the renamed run.
 *
 *   meta.json  {"schema":1, "name"?: string, "experiment"?: string, "notes"?: string,
 *               "tags"?: {"key": "value" | null}, "updatedTime": epoch ms}
 *
 * A field that is absent leaves run.json's value; a tag set to null removes that tag of run.json.
 */
export interface RunMeta {
  schema: 1;
  name?: string;
  experiment?: string;
  notes?: string;
  tags?: Record<string, string | null>;
  updatedTime?: number;
}

export const META_FILE = 'meta.json';

/** Longest run or experiment name kept; control characters become spaces. */
const NAME_MAX = 200;
const NOTES_MAX = 64 * 1024;

/** A run or experiment name as stored: one line, trimmed, at most 200 characters; throws when empty. */
export function cleanName(name: string, what = 'name'): string {
  const clean = name
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, NAME_MAX);
  if (!clean) throw new RangeError(`The ${what} cannot be empty.`);
  return clean;
}

/** The meta.json text parsed and checked; anything malformed is dropped field by field (a hand edit never hides the run). */
export function parseRunMeta(text: string): RunMeta | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const meta: RunMeta = { schema: 1 };
  if (typeof o.name === 'string' && o.name.trim()) meta.name = o.name.slice(0, NAME_MAX);
  if (typeof o.experiment === 'string' && o.experiment.trim()) meta.experiment = o.experiment.slice(0, NAME_MAX);
  if (typeof o.notes === 'string') meta.notes = o.notes.slice(0, NOTES_MAX);
  if (typeof o.updatedTime === 'number') meta.updatedTime = o.updatedTime;
  if (typeof o.tags === 'object' && o.tags !== null && !Array.isArray(o.tags)) {
    meta.tags = {};
    for (const [k, v] of Object.entries(o.tags)) if (typeof v === 'string' || v === null) meta.tags[k] = v;
  }
  return meta;
}

/** The run as the user sees it: run.json's fields with meta.json's on top. Returns a new object when meta changes anything. */
export function applyRunMeta(run: Run, meta: RunMeta | undefined): Run {
  if (!meta) return run;
  const out: Run = { ...run };
  if (meta.name !== undefined) out.name = meta.name;
  if (meta.experiment !== undefined) out.experiment = meta.experiment;
  if (meta.notes !== undefined) out.notes = meta.notes;
  if (meta.tags) {
    const tags = { ...run.tags };
    for (const [k, v] of Object.entries(meta.tags)) {
      if (v === null) delete tags[k];
      else tags[k] = v;
    }
    out.tags = tags;
  }
  return out;
}

/** Tags ML Workbench and MLflow set themselves (`mlw.sweep`, `mlflow.source.name`): shown, but not offered for editing. */
export const isSystemTag = (key: string): boolean => /^(mlw|mlflow)\./.test(key);

/**
 * The user's tags as one line of text: `baseline, lr=0.1` (a tag with no value is a bare word).
 * Commas and equals signs inside keys or values are not representable and are left out.
 */
export function formatTags(tags: Record<string, string>): string {
  return Object.entries(tags)
    .filter(([k]) => !isSystemTag(k))
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join(', ');
}

/** Parses the text formatTags writes. Throws a RangeError naming the bad entry. */
export function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of text.split(',')) {
    const entry = part.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const key = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!key) throw new RangeError(`"${entry}": a tag needs a name before "=".`);
    if (key.length > 250 || value.length > 5000) throw new RangeError(`"${key.slice(0, 40)}…": tag too long.`);
    if (isSystemTag(key)) throw new RangeError(`"${key}": tags starting with mlw. or mlflow. are set by the tools.`);
    tags[key] = value;
  }
  return tags;
}

/**
 * The meta.json tag edits that turn `current` (the run's tags as shown) into the user tags `wanted`,
 * keeping system tags: changed or new tags are set, user tags no longer wanted are removed (null).
 */
export function tagEdits(current: Record<string, string>, wanted: Record<string, string>): Record<string, string | null> {
  const edits: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(wanted)) if (current[k] !== v) edits[k] = v;
  for (const k of Object.keys(current)) if (!isSystemTag(k) && !(k in wanted)) edits[k] = null;
  return edits;
}
