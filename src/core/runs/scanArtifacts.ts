import * as path from 'node:path';
import { promises as fsp } from 'node:fs';

/** Model and checkpoint files a training script typically writes. */
export const DEFAULT_ARTIFACT_EXTENSIONS = ['.onnx', '.pt', '.pth', '.ckpt', '.safetensors', '.pkl', '.joblib', '.h5', '.keras'];

const SKIP_DIRS = new Set(['node_modules', '__pycache__', 'venv', 'mlruns', 'site-packages']);

export interface ScanOptions {
  extensions?: string[];
  /** Folder depth below the root (default 4). */
  maxDepth?: number;
  /** Directory entries looked at before giving up (default 50,000), so a huge tree stays cheap. */
  maxEntries?: number;
}

/** Path -> "size:mtime" of matching files. */
export type FileSnapshot = Map<string, string>;

/**
 * Lists files with artifact extensions under `root` (hidden folders, node_modules, virtual
 * environments and the like are skipped), recording size and mtime so that two snapshots
 * tell which files a run created or changed.
 */
export async function snapshotFiles(root: string, options: ScanOptions = {}): Promise<FileSnapshot> {
  const exts = new Set((options.extensions ?? DEFAULT_ARTIFACT_EXTENSIONS).map((e) => e.toLowerCase()));
  const maxDepth = options.maxDepth ?? 4;
  let budget = options.maxEntries ?? 50_000;
  const out: FileSnapshot = new Map();
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (--budget < 0) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth && !e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) await walk(full, depth + 1);
      } else if (e.isFile() && exts.has(path.extname(e.name).toLowerCase())) {
        const st = await fsp.stat(full).catch(() => undefined);
        if (st) out.set(full, `${st.size}:${st.mtimeMs}`);
      }
    }
  };
  await walk(path.resolve(root), 0);
  return out;
}

/** Files of `after` that are new or changed since `before`. */
export function changedFiles(before: FileSnapshot, after: FileSnapshot): string[] {
  const out: string[] = [];
  for (const [file, sig] of after) if (before.get(file) !== sig) out.push(file);
  return out.sort();
}
