import type * as vscode from 'vscode';
import type { PasswordAuth } from '../core/docker/dockerEngine';

/** Some hosts (a browser workbench without a keychain) never answer; credentials are then asked again. */
export const SECRET_TIMEOUT_MS = 3_000;

/** `p`, or `fallback` when it has not settled within a few seconds (`onTimeout` is told). */
export function within<T>(p: Thenable<T>, fallback: T, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      resolve(fallback);
    }, SECRET_TIMEOUT_MS);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/**
 * Records kept as JSON in VS Code's SecretStorage (the OS keychain) under `prefix + key`. A damaged entry
 * reads as none; a storage that does not answer is waited for a few seconds, then told to the user once per call.
 */
export class JsonSecrets<T> {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly prefix: string,
    /** What is lost when the storage does not answer, e.g. "registry credentials are". */
    private readonly subject: string,
    private readonly parse: (value: Record<string, unknown>, key: string) => T | undefined,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  private timedOut(what: string): () => void {
    return () =>
      this.warn(
        `VS Code's secret storage did not answer (${what}) within ${SECRET_TIMEOUT_MS / 1000} s; ${this.subject} not kept in this session.`,
      );
  }

  async get(key: string): Promise<T | undefined> {
    const raw = await within(this.secrets.get(this.prefix + key), undefined, this.timedOut('read'));
    if (!raw) return undefined;
    try {
      const v: unknown = JSON.parse(raw);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return this.parse(v as Record<string, unknown>, key);
    } catch {
      // a damaged entry is as good as none
    }
    return undefined;
  }

  store(key: string, value: T): Promise<void> {
    return within(this.secrets.store(this.prefix + key, JSON.stringify(value)), undefined, this.timedOut('store'));
  }

  delete(key: string): Promise<void> {
    return within(this.secrets.delete(this.prefix + key), undefined, this.timedOut('delete'));
  }
}

/** Registry credentials the user typed once, kept in VS Code's SecretStorage (the OS keychain), keyed by registry host. */
export class RegistryCredentials extends JsonSecrets<PasswordAuth> {
  constructor(secrets: vscode.SecretStorage, warn?: (message: string) => void) {
    super(
      secrets,
      'mlWorkbench.registry:',
      'registry credentials are',
      (v, registry) =>
        typeof v.username === 'string' && typeof v.password === 'string'
          ? { username: v.username, password: v.password, serveraddress: typeof v.serveraddress === 'string' ? v.serveraddress : registry }
          : undefined,
      warn,
    );
  }
}
