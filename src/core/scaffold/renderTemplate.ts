import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { COMMON_DIR, ScaffoldError, type ProjectTemplate } from './projectTemplates';
import { validateProjectName } from './projectName';

/** One file of a rendered project. */
export interface PlannedFile {
  /** Path inside the project, with `/` separators. */
  path: string;
  content: Buffer;
}

/** The placeholder replaced by the project name in text files. */
export const NAME_PLACEHOLDER = '{{project_name}}';
/** Files stored under another name in the template (so they do not act on the repository holding it). */
const RENAMES: Record<string, string> = { _gitignore: '.gitignore', _dockerignore: '.dockerignore' };
const TEXT_EXTENSIONS = new Set(['.py', '.md', '.yaml', '.yml', '.txt', '.json', '.toml', '.cfg', '.ini', '']);
/** Never copied from a template folder: manifests, caches, outputs of a training someone ran there. */
const SKIPPED = new Set(['template.json', '__pycache__', '.pytest_cache', '.mlw', 'model.onnx', 'model.pt', '.DS_Store']);

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (SKIPPED.has(e.name) || e.name.endsWith('.pyc')) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(path.join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

function targetName(rel: string): string {
  const parts = rel.split('/');
  const last = parts[parts.length - 1];
  parts[parts.length - 1] = RENAMES[last] ?? last;
  return parts.join('/');
}

export interface PlanOptions {
  /** The project name substituted for NAME_PLACEHOLDER. */
  name: string;
  /** The folder holding `mlw_run.py`, vendored into `_vendor/` so `python train.py` can log without the launcher. */
  helperDir?: string;
}

/**
 * Every file of a project made from `template`: the common files, then the template's own (which
 * win on a clash), the vendored run helper, with the project name substituted in text files.
 * Nothing is written.
 */
export async function planProject(template: ProjectTemplate, options: PlanOptions): Promise<PlannedFile[]> {
  const invalid = validateProjectName(options.name);
  if (invalid) throw new ScaffoldError(`Invalid project name "${options.name}": ${invalid}`);
  const files = new Map<string, PlannedFile>();
  for (const source of [path.join(path.dirname(template.dir), COMMON_DIR), template.dir]) {
    for (const rel of await walk(source)) {
      const raw = await fsp.readFile(path.join(source, ...rel.split('/')));
      const to = targetName(rel);
      const text = TEXT_EXTENSIONS.has(path.extname(to)) && !raw.includes(0);
      const content = text ? Buffer.from(raw.toString('utf8').split(NAME_PLACEHOLDER).join(options.name), 'utf8') : raw;
      files.set(to, { path: to, content });
    }
  }
  if (options.helperDir) {
    const helper = path.join(options.helperDir, 'mlw_run.py');
    try {
      files.set('_vendor/mlw_run.py', { path: '_vendor/mlw_run.py', content: await fsp.readFile(helper) });
    } catch (e) {
      throw new ScaffoldError(`Cannot read the run helper ${helper}: ${(e as Error).message}`);
    }
  }
  return [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** The planned files that already exist in `dir` (relative paths). */
export async function findConflicts(files: PlannedFile[], dir: string): Promise<string[]> {
  const hits = await Promise.all(
    files.map((f) =>
      fsp.lstat(path.join(dir, ...f.path.split('/'))).then(
        () => f.path,
        () => undefined,
      ),
    ),
  );
  return hits.filter((p): p is string => p !== undefined);
}

/** What to do with files that already exist: stop (the caller asks), replace them, or keep them. */
export type ConflictPolicy = 'fail' | 'overwrite' | 'skip';

export class ScaffoldConflictError extends ScaffoldError {
  constructor(
    readonly dir: string,
    readonly conflicts: string[],
  ) {
    super(
      `${conflicts.length} file${conflicts.length === 1 ? '' : 's'} already exist${conflicts.length === 1 ? 's' : ''} in ${dir}: ${conflicts.slice(0, 5).join(', ')}${conflicts.length > 5 ? ', …' : ''}`,
    );
    this.name = 'ScaffoldConflictError';
  }
}

export interface WriteResult {
  written: string[];
  skipped: string[];
}

/**
 * Writes the planned files under `dir` (created if needed). With `fail` (the default), nothing is
 * written when any file exists: a ScaffoldConflictError lists them. A path that would leave `dir`
 * is refused whatever the policy.
 */
export async function writeProject(files: PlannedFile[], dir: string, policy: ConflictPolicy = 'fail'): Promise<WriteResult> {
  const root = path.resolve(dir);
  for (const f of files) {
    const abs = path.resolve(root, ...f.path.split('/'));
    if (abs !== root && !abs.startsWith(root + path.sep))
      throw new ScaffoldError(`Template file ${f.path} would be written outside ${root}`);
  }
  const conflicts = new Set(await findConflicts(files, root));
  if (conflicts.size && policy === 'fail') throw new ScaffoldConflictError(root, [...conflicts]);
  const result: WriteResult = { written: [], skipped: [] };
  await fsp.mkdir(root, { recursive: true });
  const realRoot = await fsp.realpath(root);
  for (const f of files) {
    if (conflicts.has(f.path) && policy === 'skip') {
      result.skipped.push(f.path);
      continue;
    }
    const abs = path.join(root, ...f.path.split('/'));
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    const realParent = await fsp.realpath(path.dirname(abs));
    if (realParent !== realRoot && !realParent.startsWith(realRoot + path.sep))
      throw new ScaffoldError(`${path.dirname(f.path)} in ${root} links outside the project: not writing ${f.path}`);
    if (conflicts.has(f.path) && (await fsp.lstat(abs)).isSymbolicLink()) await fsp.unlink(abs); // replace the link, not its target
    await fsp.writeFile(abs, f.content);
    result.written.push(f.path);
  }
  return result;
}
