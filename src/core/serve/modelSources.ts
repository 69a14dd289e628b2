/** Turns `mlw serve` model arguments (files, folders, name=path) into named model files. */
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseRegistryRef, resolveRegistryRef, type RegistryRef } from '../registry/registryRef';

export interface ModelSource {
  name: string;
  path: string;
  /** Served from the model registry (`NAME@ALIAS`, `NAME@vN`): the version it resolved to. */
  registry?: RegistryRef & { version: number };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The model name a file gets by default: its base name without the extension. */
export function defaultModelName(file: string): string {
  return path.basename(file).replace(/\.onnx$/i, '');
}

/** Parses "name=path" (or a bare path, named after its file). */
export function parseModelArg(arg: string): { name?: string; path: string } {
  const eq = arg.indexOf('=');
  // A Windows drive letter or a path with "=" later on stays a path when the left side is not a valid name.
  if (eq > 0 && NAME.test(arg.slice(0, eq))) return { name: arg.slice(0, eq), path: arg.slice(eq + 1) };
  return { path: arg };
}

/**
 * Resolves arguments to model files: a folder contributes each `*.onnx` directly inside it (sorted), and each
 * `<sub>/model.onnx` one level down (named after the folder); a file is served as it is.
 * Throws on a missing path, an empty folder, a bad name or a duplicate name.
 */
export async function resolveModelSources(args: readonly string[], cwd = process.cwd()): Promise<ModelSource[]> {
  const out: ModelSource[] = [];
  for (const arg of args) {
    const { name, path: p } = parseModelArg(arg);
    const abs = path.resolve(cwd, p);
    const st = await stat(abs).catch(() => undefined);
    const ref = st ? undefined : parseRegistryRef(p);
    if (ref) {
      const r = await resolveRegistryRef(cwd, ref);
      out.push({ name: name ?? ref.name, path: r.file, registry: { ...ref, version: r.version.version } });
      continue;
    }
    if (!st) throw new Error(`model path does not exist: ${p}`);
    if (st.isDirectory()) {
      if (name) throw new Error(`name=path needs a file, ${p} is a folder`);
      const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      const found: ModelSource[] = [];
      for (const e of entries) {
        if (e.isFile() && /\.onnx$/i.test(e.name)) found.push({ name: defaultModelName(e.name), path: path.join(abs, e.name) });
        else if (e.isDirectory()) {
          const inner = path.join(abs, e.name, 'model.onnx');
          if (
            await stat(inner)
              .then((s) => s.isFile())
              .catch(() => false)
          )
            found.push({ name: e.name, path: inner });
        }
      }
      if (found.length === 0) throw new Error(`no .onnx models in folder ${p}`);
      out.push(...found);
    } else out.push({ name: name ?? defaultModelName(abs), path: abs });
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (!NAME.test(s.name)) throw new Error(`bad model name "${s.name}": use letters, digits, '_', '.', '-'`);
    if (seen.has(s.name)) throw new Error(`two models are named "${s.name}"; name one with name=path`);
    seen.add(s.name);
  }
  return out;
}
