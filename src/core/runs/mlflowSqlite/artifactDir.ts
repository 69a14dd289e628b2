import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The local folder of an MLflow artifact URI (a run's `artifact_uri`), or undefined when the artifacts
 * live elsewhere (s3:, gs:, mlflow-artifacts: on a server, dbfs:). A plain path is taken relative to
 * the store's folder, where MLflow resolved it.
 */
export function artifactDir(uri: string | null | undefined, storeDir: string): string | undefined {
  if (!uri) return undefined;
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri.startsWith('file://') ? uri : `file://${path.resolve(storeDir, uri.slice(5))}`);
    } catch {
      return undefined;
    }
  }
  if (/^[a-z][a-z0-9+.-]+:/i.test(uri)) return undefined; // a scheme (a one-letter "C:" is a Windows drive)
  return path.resolve(storeDir, uri);
}
