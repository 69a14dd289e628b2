import * as path from 'node:path';

/**
 * The database file of an MLflow tracking URI that names an SQLite store (SQLAlchemy's form:
 * `sqlite:///relative/mlflow.db`, `sqlite:////absolute/mlflow.db`, with an optional `?query`), resolved
 * against `cwd` as MLflow does; undefined for any other URI, and for the in-memory `sqlite://`.
 */
export function sqliteTrackingUri(uri: string | undefined, cwd: string): string | undefined {
  const m = /^sqlite:\/\/\/([^?#]+)/.exec(uri?.trim() ?? '');
  if (!m) return undefined;
  const file = decodeURIComponent(m[1]);
  if (file === ':memory:') return undefined;
  return path.resolve(cwd, file);
}
