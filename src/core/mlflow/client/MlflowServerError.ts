/**
 * A failed call to an MLflow tracking server, as one line: the server, the HTTP status, MLflow's
 * `error_code` and its message; or why the server could not be reached. `retryable` says a second
 * try may work (connection refused or dropped, a timeout, 429, 5xx).
 */
export class MlflowServerError extends Error {
  constructor(
    message: string,
    /** HTTP status; undefined when no answer came. */
    readonly status: number | undefined,
    /** MLflow's error_code (`RESOURCE_DOES_NOT_EXIST`, `UNAUTHENTICATED`, ...), when the server sent one. */
    readonly errorCode: string | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'MlflowServerError';
  }
}

const oneLine = (s: string, max = 600): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
};

/** The error for an HTTP answer that is not 2xx: MLflow's JSON error body when there is one, else the body's start. */
export function answerError(server: string, endpoint: string, status: number, body: string): MlflowServerError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const j = JSON.parse(body) as { error_code?: unknown; message?: unknown };
    if (typeof j.error_code === 'string') code = j.error_code;
    if (typeof j.message === 'string') message = j.message;
  } catch {
    // not JSON: a proxy's page or plain text
  }
  const what = message ?? (body.trim() ? oneLine(body.replace(/<[^>]*>/g, ' '), 200) : 'no message');
  const hint =
    status === 401 || status === 403
      ? ' (check the token or user name and password)'
      : status === 404 && !code
        ? ' (is this the tracking server URL?)'
        : '';
  return new MlflowServerError(
    `MLflow server ${server}: ${endpoint} failed with HTTP ${status}${code ? ` ${code}` : ''}: ${oneLine(what)}${hint}`,
    status,
    code,
    status === 429 || status >= 500,
  );
}

/** The error for a request that got no answer (refused, reset, timed out). */
export function connectionError(server: string, endpoint: string, cause: Error, timeoutMs?: number): MlflowServerError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why =
    timeoutMs !== undefined
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : code === 'ECONNREFUSED'
        ? 'connection refused (is the server running at this address?)'
        : code === 'ENOTFOUND'
          ? 'host not found'
          : code === 'ECONNRESET' || code === 'EPIPE'
            ? 'the connection dropped'
            : oneLine(cause.message);
  return new MlflowServerError(`Cannot reach MLflow server ${server} (${endpoint}): ${why}. Retry when it answers.`, undefined, code, true);
}
