/** How a client proves who it is to an MLflow tracking server: MLflow's client sends the same headers. */
export type MlflowAuth = { kind: 'none' } | { kind: 'token'; token: string } | { kind: 'basic'; username: string; password: string };

/** The Authorization header for `auth`, or undefined for none. */
export function authorizationHeader(auth: MlflowAuth): string | undefined {
  if (auth.kind === 'token') return `Bearer ${auth.token}`;
  if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return undefined;
}

/**
 * The auth MLflow's client takes from the environment: MLFLOW_TRACKING_TOKEN (bearer), else
 * MLFLOW_TRACKING_USERNAME with MLFLOW_TRACKING_PASSWORD (basic), else none.
 */
export function authFromEnv(env: NodeJS.ProcessEnv = process.env): MlflowAuth {
  if (env.MLFLOW_TRACKING_TOKEN) return { kind: 'token', token: env.MLFLOW_TRACKING_TOKEN };
  if (env.MLFLOW_TRACKING_USERNAME)
    return { kind: 'basic', username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' };
  return { kind: 'none' };
}

/** MLFLOW_TRACKING_URI when it names a tracking server (http or https), without a trailing slash; else undefined. */
export function httpTrackingUri(uri: string | undefined): string | undefined {
  if (!uri || !/^https?:\/\//i.test(uri.trim())) return undefined;
  return normalizeServerUrl(uri);
}

/** A server URL as the client keeps it: trimmed, no trailing slash. Throws on what is not an http(s) URL. */
export function normalizeServerUrl(text: string): string {
  const t = text.trim();
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    throw new Error(`"${t}" is not a URL: an MLflow tracking server URL looks like http://mlflow.example.com:5000`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`"${t}" is not an http(s) URL: an MLflow tracking server URL looks like http://mlflow.example.com:5000`);
  if (u.username || u.password) throw new Error('Put the user name and password in the auth settings, not in the URL.');
  return t.replace(/\/+$/, '');
}
