import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { FileRecord } from './runTypes';

/**
 * The files under an MLflow run's artifact folder, at most `limit`: `path` relative to the folder
 * ('/'-joined, as MLflow names artifacts), `stored` the absolute file where MLflow keeps it, and the
 * size. sha256 is left empty: it is not computed while listing.
 */
export async function listArtifactFiles(dir: string, limit = 500): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  const walk = async (folder: string, prefix: string): Promise<void> => {
    const entries = await fsp.readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (out.length >= limit) return;
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      const full = path.join(folder, e.name);
      if (e.isDirectory()) await walk(full, rel);
      else if (e.isFile()) {
        const st = await fsp.stat(full).catch(() => undefined);
        if (st) out.push({ path: rel, sha256: '', size: st.size, stored: full });
      }
    }
  };
  await walk(dir, '');
  return out;
}
