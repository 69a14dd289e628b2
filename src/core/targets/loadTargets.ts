import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { mergeTargets, parseTargetsSetting, parseTargetsYaml, type ParsedTargets } from './parseTargets';
import type { Target } from './targetTypes';

export const TARGETS_FILE = path.join('.mlw', 'targets.yaml');

/** The workspace's `.mlw/targets.yaml` (absent: none) merged with the `mlWorkbench.targets` setting's value. */
export async function loadTargets(workspace: string, setting?: unknown): Promise<ParsedTargets> {
  const file = path.join(workspace, TARGETS_FILE);
  let text: string | undefined;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      return { targets: [], errors: [`${TARGETS_FILE}: cannot read: ${(e as Error).message}`] };
  }
  const fromFile = text === undefined ? { targets: [], errors: [] } : parseTargetsYaml(text, TARGETS_FILE.split(path.sep).join('/'));
  return mergeTargets(fromFile, parseTargetsSetting(setting));
}

/** The target called `name`, or an Error saying which exist and what was wrong with the declarations. */
export function findTarget(parsed: ParsedTargets, name: string): Target {
  const t = parsed.targets.find((x) => x.name === name);
  if (t) return t;
  const bad = parsed.errors.find((e) => e.includes(`target ${name}:`) || e.includes(`.${name}`));
  if (bad) throw new Error(bad);
  const known = parsed.targets.map((x) => x.name);
  throw new Error(
    `No target "${name}" in ${TARGETS_FILE.split(path.sep).join('/')} or the mlWorkbench.targets setting${known.length ? ` (known: ${known.join(', ')})` : ''}`,
  );
}
