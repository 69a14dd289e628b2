/** Alias moves on a registered model: pure functions that return a changed copy. */
import { RegistryError } from './RegistryStore';
import { ALIAS_NAME, CHAMPION, type AliasMove, type ModelVersion, type RegisteredModel } from './registryTypes';
import type { NewVersion } from './registerVersion';

export function emptyModel(name: string): RegisteredModel {
  return { schema: 1, name, aliases: {}, versions: [], aliasHistory: [] };
}

export function findVersion(model: RegisteredModel, ref: string | number): ModelVersion {
  const text = String(ref).replace(/^v/i, '');
  const byAlias = typeof ref === 'string' && model.aliases[ref] !== undefined ? model.aliases[ref] : undefined;
  const n = byAlias ?? (/^\d+$/.test(text) ? Number(text) : NaN);
  const v = model.versions.find((x) => x.version === n);
  if (v) return v;
  const have = model.versions.map((x) => x.version).join(', ') || 'none';
  throw new RegistryError(`${model.name} has no version ${ref} (versions: ${have})`);
}

export function checkAlias(alias: string): void {
  if (!ALIAS_NAME.test(alias))
    throw new RegistryError(`"${alias}" cannot be an alias: use a word of letters, digits, _ and - that starts with a letter`);
}

/** Adds the next version (highest + 1). */
export function addVersion(model: RegisteredModel, fields: NewVersion): { model: RegisteredModel; version: ModelVersion } {
  const version: ModelVersion = { ...fields, version: Math.max(0, ...model.versions.map((v) => v.version)) + 1 };
  return { model: { ...model, versions: [...model.versions, version] }, version };
}

export function moveAlias(
  model: RegisteredModel,
  alias: string,
  to: number,
  move: Omit<AliasMove, 'alias' | 'from' | 'to'>,
): RegisteredModel {
  checkAlias(alias);
  findVersion(model, to);
  const from = model.aliases[alias] ?? null;
  return {
    ...model,
    aliases: { ...model.aliases, [alias]: to },
    aliasHistory: [...model.aliasHistory, { alias, from, to, ...move }],
  };
}

/**
 * The versions an alias has served, oldest first, with rolled-back moves undone: each move pushes its version,
 * each rollback pops one. The last is the current one; the one before it is where a rollback goes.
 */
export function aliasLineage(model: RegisteredModel, alias = CHAMPION): number[] {
  const stack: number[] = [];
  for (const m of model.aliasHistory) {
    if (m.alias !== alias) continue;
    if (m.action === 'delete') stack.length = 0;
    else if (m.action === 'rollback') {
      stack.pop();
      if (stack[stack.length - 1] !== m.to) stack.push(m.to);
    } else if (stack[stack.length - 1] !== m.to) stack.push(m.to);
  }
  return stack;
}

/** Moves `alias` back to the version it pointed to before its current one. */
export function rollbackAlias(
  model: RegisteredModel,
  by: string,
  at: string,
  alias = CHAMPION,
): { model: RegisteredModel; from: number; to: number } {
  const lineage = aliasLineage(model, alias);
  const current = model.aliases[alias];
  if (current === undefined) throw new RegistryError(`${model.name} has no ${alias}: nothing to roll back`);
  if (lineage.length < 2)
    throw new RegistryError(`${model.name}@${alias} (version ${current}) has no previous ${alias} in its history to roll back to`);
  const to = lineage[lineage.length - 2];
  return { model: moveAlias(model, alias, to, { action: 'rollback', at, by }), from: current, to };
}
