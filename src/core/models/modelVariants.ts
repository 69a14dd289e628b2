/**
 * Which ONNX files are variants of which: a variant written by `mlw optimize` names its parent's sha256 and its
 * recipe in its metadata props, and its parent is the workspace file with that hash. Metadata is read lazily
 * (readMetadataProps skips the graph and the weights), and both it and file hashes are cached per file by
 * mtime and size. A parent is looked for first where `optimize` puts it (the same folder, the variant's name
 * minus its recipe suffix), and files are hashed only when some variant needs its parent found, within a budget.
 */
import * as path from 'node:path';
import type { StringEntry } from '../onnx/onnxModel';
import { readMetadataProps } from '../onnx/readMetadataProps';
import { PARENT_SHA256_KEY, RECIPE_KEY } from '../optimize/variantKeys'; // not optimizeModel: that loads onnxruntime-node
import { sha256File } from '../sha256File';

/** A file as the caller last saw it: cache entries are kept while mtime and size are the same. */
export interface FileStamp {
  path: string;
  mtimeMs: number;
  size: number;
}

/** What a variant's metadata says of it. */
export interface VariantInfo {
  parentSha256: string;
  recipe: string;
}

export interface VariantGrouping {
  /** Variant path -> its parent's path, for variants whose parent was found. */
  parentOf: ReadonlyMap<string, string>;
  /** Parent path -> its variants' paths, sorted. */
  childrenOf: ReadonlyMap<string, readonly string[]>;
  /** Every variant's metadata, orphans included, by path. */
  info: ReadonlyMap<string, VariantInfo>;
  /** Variants whose parent is none of the files (or was not hashed within the budget). */
  orphans: ReadonlySet<string>;
}

export interface VariantIndexDeps {
  readProps?: (path: string) => Promise<StringEntry[]>;
  hash?: (path: string) => Promise<string>;
}

/** Bytes of not-yet-hashed files `group` hashes at most to find parents (cached hashes are free). */
export const DEFAULT_HASH_BUDGET = 4 * 1024 ** 3;

export function variantInfoOf(props: readonly StringEntry[]): VariantInfo | undefined {
  const parentSha256 = props.find((p) => p.key === PARENT_SHA256_KEY)?.value;
  if (!parentSha256 || !/^[0-9a-f]{64}$/i.test(parentSha256)) return undefined;
  const recipe = props.find((p) => p.key === RECIPE_KEY)?.value || 'unknown recipe';
  return { parentSha256: parentSha256.toLowerCase(), recipe };
}

/** Candidates for a variant's parent, likeliest first: `a.onnx` for `a.ort-basic.onnx` in its folder, then the folder, then the rest. */
export function parentCandidates(variant: string, files: readonly FileStamp[]): FileStamp[] {
  const dir = path.dirname(variant);
  const name = path.basename(variant);
  const rank = (f: FileStamp): number => {
    if (path.dirname(f.path) !== dir) return 3;
    const stem = path.basename(f.path).replace(/\.onnx$/i, '');
    return name.startsWith(`${stem}.`) ? 1 - stem.length / 1e6 : 2; // the longest matching stem first
  };
  return files
    .filter((f) => f.path !== variant)
    .map((f) => ({ f, r: rank(f) }))
    .sort((a, b) => a.r - b.r || a.f.path.localeCompare(b.f.path))
    .map(({ f }) => f);
}

interface Cached<T> {
  mtimeMs: number;
  size: number;
  value: Promise<T>;
}

/** Variant metadata and file hashes, cached per path by mtime and size. */
export class ModelVariantIndex {
  private readonly props = new Map<string, Cached<VariantInfo | undefined>>();
  private readonly hashes = new Map<string, Cached<string>>();
  private readonly readProps: (path: string) => Promise<StringEntry[]>;
  private readonly hash: (path: string) => Promise<string>;

  constructor(deps: VariantIndexDeps = {}) {
    this.readProps = deps.readProps ?? ((p) => readMetadataProps(p));
    this.hash = deps.hash ?? (async (p) => (await sha256File(p)).sha256);
  }

  private cached<T>(map: Map<string, Cached<T>>, file: FileStamp, load: () => Promise<T>): Promise<T> {
    const hit = map.get(file.path);
    if (hit && hit.mtimeMs === file.mtimeMs && hit.size === file.size) return hit.value;
    const value = load();
    map.set(file.path, { mtimeMs: file.mtimeMs, size: file.size, value });
    value.catch(() => {
      if (map.get(file.path)?.value === value) map.delete(file.path); // retried next time (a half-written file)
    });
    if (map.size > 5000) map.delete(map.keys().next().value as string);
    return value;
  }

  /** The variant metadata of a file, undefined for a file that is no variant or cannot be read. */
  variantInfo(file: FileStamp): Promise<VariantInfo | undefined> {
    return this.cached(this.props, file, async () => variantInfoOf(await this.readProps(file.path))).catch(() => undefined);
  }

  isHashed(file: FileStamp): boolean {
    const hit = this.hashes.get(file.path);
    return hit !== undefined && hit.mtimeMs === file.mtimeMs && hit.size === file.size;
  }

  sha256(file: FileStamp): Promise<string> {
    return this.cached(this.hashes, file, () => this.hash(file.path));
  }

  /** Groups `files` (ONNX files) into originals and their variants. */
  async group(files: readonly FileStamp[], options: { hashBudgetBytes?: number; signal?: AbortSignal } = {}): Promise<VariantGrouping> {
    const info = new Map<string, VariantInfo>();
    const infos = await Promise.all(files.map((f) => this.variantInfo(f)));
    files.forEach((f, i) => {
      if (infos[i]) info.set(f.path, infos[i]);
    });
    const parentOf = new Map<string, string>();
    const orphans = new Set<string>();
    let budget = options.hashBudgetBytes ?? DEFAULT_HASH_BUDGET;
    for (const [variant, { parentSha256 }] of info) {
      let found: string | undefined;
      for (const candidate of parentCandidates(variant, files)) {
        options.signal?.throwIfAborted();
        if (!this.isHashed(candidate)) {
          if (candidate.size > budget) continue;
          budget -= candidate.size;
        }
        const sha = await this.sha256(candidate).catch(() => undefined);
        if (sha === parentSha256) {
          found = candidate.path;
          break;
        }
      }
      if (found && !this.loops(variant, found, parentOf)) parentOf.set(variant, found);
      else orphans.add(variant);
    }
    const childrenOf = new Map<string, string[]>();
    for (const [variant, parent] of [...parentOf].sort((a, b) => a[0].localeCompare(b[0]))) {
      childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), variant]);
    }
    return { parentOf, childrenOf, info, orphans };
  }

  /** True when making `parent` the parent of `variant` would close a cycle (identical copies of a file). */
  private loops(variant: string, parent: string, parentOf: ReadonlyMap<string, string>): boolean {
    for (let p: string | undefined = parent, n = 0; p !== undefined && n < 1000; p = parentOf.get(p), n++) if (p === variant) return true;
    return false;
  }
}

/** A file's variants and theirs, depth first (a variant optimised again follows its parent). */
export function descendantsOf(grouping: VariantGrouping, file: string): string[] {
  const out: string[] = [];
  const visit = (p: string, depth: number): void => {
    if (depth > 100) return;
    for (const child of grouping.childrenOf.get(p) ?? []) {
      out.push(child);
      visit(child, depth + 1);
    }
  };
  visit(file, 0);
  return out;
}
