/**
 * Where to PUT a run's artifact. MLflow's server proxies artifacts for runs whose artifact_uri is
 * `mlflow-artifacts:/<experiment>/<run>/artifacts` (or `mlflow-artifacts://host:port/...`): the path
 * after the scheme goes under `<tracking server>/api/2.0/mlflow-artifacts/artifacts/`. An http(s)
 * artifact_uri takes the PUT itself. Other stores (s3://, gs://, file:, dbfs:/) are not reachable
 * through the server: the caller is told so.
 */
export class ArtifactStoreUnreachableError extends Error {
  constructor(readonly artifactUri: string) {
    super(
      `The server keeps this run's artifacts at ${artifactUri}, which is not served through the tracking server: ` +
        'start it with proxied artifacts (mlflow server --serve-artifacts, the default since MLflow 2.0) to push artifacts.',
    );
    this.name = 'ArtifactStoreUnreachableError';
  }
}

const encodePath = (p: string): string =>
  p
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');

export function artifactUploadUrl(trackingUrl: string, artifactUri: string, relPath: string): string {
  const rel = encodePath(relPath);
  const m = /^mlflow-artifacts:(?:\/\/([^/]+))?(\/.*)?$/.exec(artifactUri);
  if (m) {
    const base = new URL(trackingUrl);
    const origin = m[1] ? `${base.protocol}//${m[1]}` : trackingUrl.replace(/\/+$/, '');
    const root = encodePath(m[2] ?? '');
    return `${origin}/api/2.0/mlflow-artifacts/artifacts/${root ? `${root}/` : ''}${rel}`;
  }
  if (/^https?:\/\//i.test(artifactUri)) return `${artifactUri.replace(/\/+$/, '')}/${rel}`;
  throw new ArtifactStoreUnreachableError(artifactUri);
}
