/** Errors of the engine client with messages a user can act on. */

export class BuildFailedError extends Error {
  constructor(
    message: string,
    /** The last "Step N/M : ..." line before the failure, when the builder printed one. */
    readonly step: string | undefined,
    /** The whole build output. */
    readonly log: string,
  ) {
    super(step ? `Docker build failed at ${step}: ${message}` : `Docker build failed: ${message}`);
    this.name = 'BuildFailedError';
  }
}

export class RegistryAuthError extends Error {
  constructor(registry: string, detail: string) {
    super(
      `The registry ${registry} refused the credentials (${detail}). Log in with \`docker login ${registry}\` or give a user name and password.`,
    );
    this.name = 'RegistryAuthError';
  }
}

export class RegistryUnreachableError extends Error {
  constructor(registry: string, detail: string) {
    super(`The registry ${registry} cannot be reached (${detail}). Check the address and that the registry is running.`);
    this.name = 'RegistryUnreachableError';
  }
}

/** A cancelled operation (the AbortSignal fired). */
export class OperationCancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled`);
    this.name = 'OperationCancelledError';
  }
}

const AUTH = /unauthorized|authentication required|denied|no basic auth credentials|incorrect username or password|401|403/i;
const UNREACHABLE =
  /connection refused|ENOTFOUND|no such host|EHOSTUNREACH|ECONNREFUSED|i\/o timeout|dial tcp|server gave HTTP response to HTTPS client|network is unreachable|ETIMEDOUT/i;

/** Maps an engine's push/pull failure text to the matching registry error, or undefined. */
export function classifyRegistryError(registry: string, message: string): Error | undefined {
  if (UNREACHABLE.test(message)) return new RegistryUnreachableError(registry, message);
  if (AUTH.test(message)) return new RegistryAuthError(registry, message);
  return undefined;
}

/** The registry host of an image reference ("docker.io" when it names none). */
export function registryOf(reference: string): string {
  const first = reference.split('/')[0];
  if (reference.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}
