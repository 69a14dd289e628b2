/**
 * `NAME@ALIAS` and `NAME@vN` (or `NAME@N`): a registered model's version by alias or number, as `mlw serve` and
 * `mlw deploy local` take it. An alias follows its moves (a promotion rolls what serves it); a number is pinned.
 */
import * as path from 'node:path';
import { findVersion } from './aliasMoves';
import { RegistryError, RegistryStore } from './RegistryStore';
import { ALIAS_NAME, MODEL_NAME, type ModelVersion } from './registryTypes';

export interface RegistryRef {
  name: string;
  /** The alias (`champion`) or the version text (`v3`). */
  ref: string;
  /** An alias: the served version follows its moves. */
  follows: boolean;
}

export interface ResolvedRef extends RegistryRef {
  version: ModelVersion;
  /** The version's model file, absolute. */
  file: string;
}

/** `clf@champion` -> { name: clf, ref: champion, follows: true }; `clf@v2` -> pinned; anything else undefined. */
export function parseRegistryRef(text: string): RegistryRef | undefined {
  const at = text.lastIndexOf('@');
  if (at <= 0) return undefined;
  const name = text.slice(0, at);
  const ref = text.slice(at + 1);
  if (!MODEL_NAME.test(name)) return undefined;
  if (/^v?\d+$/i.test(ref)) return { name, ref, follows: false };
  if (ALIAS_NAME.test(ref)) return { name, ref, follows: true };
  return undefined;
}

export const refText = (r: RegistryRef): string => `${r.name}@${r.ref}`;

/** The version a reference names now, from the workspace's registry; a RegistryError with a way out otherwise. */
export async function resolveRegistryRef(workspace: string, ref: RegistryRef, store = new RegistryStore(workspace)): Promise<ResolvedRef> {
  const model = await store.get(ref.name);
  if (ref.follows && model.aliases[ref.ref] === undefined) {
    const aliases = Object.entries(model.aliases).map(([a, v]) => `${a} -> ${v}`);
    throw new RegistryError(
      `${ref.name} has no alias "${ref.ref}" (${aliases.length ? `aliases: ${aliases.join(', ')}` : 'no aliases yet'}); set it with mlw registry promote ${ref.name} VERSION${ref.ref === 'champion' ? '' : ` --to ${ref.ref}`}`,
    );
  }
  const version = findVersion(model, ref.follows ? ref.ref : ref.ref.replace(/^v/i, ''));
  return { ...ref, version, file: path.resolve(workspace, version.path) };
}
