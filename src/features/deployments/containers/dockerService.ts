import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import type { DockerEngine } from '../../../core/docker/dockerEngine';
import { openSettings, SECTION, setting } from '../../../vscode/config';
import { Disposable } from '../../../vscode/disposable';
import { UserError } from '../../../vscode/userError';

/** The context key the Deployments view's welcome content reads. */
export const DOCKER_UNAVAILABLE_KEY = 'mlWorkbench.dockerUnavailable';

/** The image the generated Dockerfiles build FROM; `mlWorkbench.docker.baseImage`, else the core default. */
export async function baseImageSetting(): Promise<string> {
  const configured = vscode.workspace.getConfiguration(SECTION).get<string>('docker.baseImage')?.trim();
  if (configured) return configured;
  const { DEFAULT_BASE_IMAGE } = await import('../../../core/docker/renderDockerfile');
  return DEFAULT_BASE_IMAGE;
}

/**
 * One connection to the Docker engine for the whole extension, made on first use: dockerode and the
 * engine discovery load only then. When no engine answers, commands get a UserError with "Retry"
 * and "Open Settings", and the Deployments view shows its "Docker engine not found" welcome.
 */
export class DockerService extends Disposable {
  private connecting: Promise<DockerEngine> | undefined;
  private readonly availability = this.track(new vscode.EventEmitter<void>());
  readonly onDidChangeAvailability = this.availability.event;
  /** Why the last attempt found no engine; undefined while one answers (or before the first attempt). */
  unavailable: string | undefined;

  constructor(private readonly logger: Logger) {
    super();
    this.track(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.docker.host`)) {
          this.reset();
          this.availability.fire();
        }
      }),
    );
  }

  /** Forgets the connection, so the next call looks for the engine again. */
  reset(): void {
    this.connecting = undefined;
  }

  /** Marks the engine as gone after a call failed to reach it. */
  lost(reason: string): void {
    this.reset();
    this.setUnavailable(reason);
  }

  private setUnavailable(reason: string | undefined): void {
    if (reason === this.unavailable) return;
    const flipped = (reason === undefined) !== (this.unavailable === undefined);
    this.unavailable = reason;
    if (flipped) void vscode.commands.executeCommand('setContext', DOCKER_UNAVAILABLE_KEY, reason !== undefined);
    this.availability.fire();
  }

  /**
   * The engine, connecting if needed. `retry` re-runs the caller when the user picks "Retry".
   * Throws a UserError when no engine answers.
   */
  async engine(retry?: () => unknown): Promise<DockerEngine> {
    this.connecting ??= this.connect();
    try {
      const engine = await this.connecting;
      this.setUnavailable(undefined);
      return engine;
    } catch (e) {
      this.connecting = undefined;
      const message = e instanceof Error ? e.message : String(e);
      this.setUnavailable(message);
      throw new UserError(message, [
        { title: 'Retry', run: () => (retry ? retry() : this.engine().then(undefined, () => undefined)) },
        { title: 'Open Settings', run: () => openSettings(`${SECTION}.docker`) },
      ]);
    }
  }

  private async connect(): Promise<DockerEngine> {
    const [{ findEngine }, { DockerEngine }] = await Promise.all([
      import('../../../core/docker/findEngine'),
      import('../../../core/docker/dockerEngine'),
    ]);
    const t0 = Date.now();
    const endpoint = await findEngine({ dockerHost: setting('docker.host') || undefined, env: process.env });
    const engine = await DockerEngine.connect(endpoint);
    this.logger.info(`Docker engine at ${endpoint.description} (${endpoint.source}), found in ${Date.now() - t0} ms`);
    return engine;
  }
}

/** True for errors that say the engine itself cannot be reached (as opposed to a failed operation). */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOENT' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH'
  )
    return true;
  return e instanceof Error && e.name === 'EngineUnavailableError';
}
