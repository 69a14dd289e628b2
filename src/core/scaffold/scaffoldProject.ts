import * as path from 'node:path';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { defaultHelperDir } from '../runs/buildChildCommand';
import { initGitRepo, type GitInitResult } from './initGitRepo';
import { readTemplate, type ProjectTemplate } from './projectTemplates';
import { planProject, writeProject, type ConflictPolicy, type PlannedFile } from './renderTemplate';

export interface ScaffoldOptions {
  template: string;
  /** The project folder (created when missing). */
  dir: string;
  /** Project name; default: the folder's name (which must then be a valid name). */
  name?: string;
  /** `git init` and a first commit (default true). */
  git?: boolean;
  /** What to do with files that exist: `fail` (default: throws ScaffoldConflictError, nothing written), `overwrite`, `skip`. */
  onConflict?: ConflictPolicy;
  /** Overrides for tests: where the templates and the run helper are. */
  templatesRoot?: string;
  helperDir?: string;
  /** The files as planProject made them, for a caller that checked them for conflicts first; planned here otherwise. */
  files?: PlannedFile[];
  logger?: Logger;
  signal?: AbortSignal;
}

export interface ScaffoldResult {
  template: ProjectTemplate;
  dir: string;
  name: string;
  written: string[];
  skipped: string[];
  git: GitInitResult;
  durationMs: number;
}

/** Renders a template into a folder, then (by default) makes it a git repository with a first commit. */
export async function scaffoldProject(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const t0 = performance.now();
  const logger = options.logger ?? silentLogger;
  const dir = path.resolve(options.dir);
  const name = options.name ?? path.basename(dir);
  const template = await readTemplate(options.template, options.templatesRoot);
  const files = options.files ?? (await planProject(template, { name, helperDir: options.helperDir ?? defaultHelperDir() }));
  options.signal?.throwIfAborted();
  const { written, skipped } = await writeProject(files, dir, options.onConflict ?? 'fail');
  logger.info(
    `Wrote ${written.length} files of the ${template.id} template into ${dir}${skipped.length ? ` (kept ${skipped.length} existing)` : ''}`,
  );
  const git: GitInitResult =
    options.git === false
      ? { status: 'skipped', reason: 'not asked for' }
      : await initGitRepo(dir, `New ${template.title.toLowerCase()} project "${name}" from the ML Workbench ${template.id} template`, {
          logger,
          signal: options.signal,
        });
  return { template, dir, name, written, skipped, git, durationMs: performance.now() - t0 };
}
