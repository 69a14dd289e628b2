import type * as vscode from 'vscode';
import type { PasswordAuth } from '../core/docker/dockerEngine';

const PREFIX = 'mlWorkbench.registry:';
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

/** Registry credentials the user typed once, kept in VS Code's SecretStorage (the OS keychain), keyed by registry host. */
export class RegistryCredentials {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  private timedOut(what: string): () => void {
    return () =>
      this.warn(
        `VS Code's secret storage did not answer (${what}) within ${SECRET_TIMEOUT_MS / 1000} s; registry credentials are not kept in this session.`,
      );
  }

  async get(registry: string): Promise<PasswordAuth | undefined> {
    const raw = await within(this.secrets.get(PREFIX + registry), undefined, this.timedOut('read'));
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as Partial<PasswordAuth>;
      if (typeof v.username === 'string' && typeof v.password === 'string')
        return { username: v.username, password: v.password, serveraddress: v.serveraddress ?? registry };
    } catch {
      // a damaged entry is as good as none
    }
    return undefined;
  }

  store(registry: string, auth: PasswordAuth): Promise<void> {
    return within(this.secrets.store(PREFIX + registry, JSON.stringify(auth)), undefined, this.timedOut('store'));
  }

  delete(registry: string): Promise<void> {
    return within(this.secrets.delete(PREFIX + registry), undefined, this.timedOut('delete'));
  }
}
