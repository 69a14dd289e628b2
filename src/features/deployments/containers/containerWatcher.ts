import * as vscode from 'vscode';
import type { Logger } from '../../../core/logger';
import type { ContainerInfo } from '../../../core/docker/dockerEngine';
import { Disposable } from '../../../vscode/disposable';
import { isConnectionError, type DockerService } from './dockerService';

const DEBOUNCE_MS = 300;
const POLL_MS = 20_000;
const RESTART_EVENTS_MS = 5_000;

/**
 * The managed containers, kept current while someone looks: while the Deployments view is visible
 * it follows the engine's event stream (debounced into one listing per burst) with a slow poll as a
 * fallback; while hidden it does nothing, and the stream is closed.
 */
export class ContainerWatcher extends Disposable {
  private readonly changed = this.track(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  containers: ContainerInfo[] = [];
  /** Whether a listing ever succeeded; the view shows no Containers group before that. */
  listed = false;
  private visible = false;
  private streamAbort: AbortController | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private listing: Promise<void> | undefined;
  private again = false;
  /** How many listings were made, for tests and the log. */
  refreshCount = 0;

  constructor(
    private readonly docker: DockerService,
    private readonly logger: Logger,
  ) {
    super();
    this.track(docker.onDidChangeAvailability(() => this.changed.fire()));
  }

  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible) {
      this.logger.debug('Deployments view visible: following the Docker engine');
      void this.refresh();
      this.pollTimer = setInterval(() => void this.refresh(), POLL_MS);
      void this.follow();
    } else {
      this.logger.debug('Deployments view hidden: no longer following the Docker engine');
      this.stopFollowing();
    }
  }

  /** Lists now (or once more after the listing in flight). */
  refresh(): Promise<void> {
    if (this.listing) {
      this.again = true;
      return this.listing;
    }
    this.listing = this.list().finally(() => {
      this.listing = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.listing;
  }

  /** A refresh soon, coalescing a burst of engine events (create, start, health_status…) into one. */
  scheduleRefresh(): void {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.refresh(), DEBOUNCE_MS);
  }

  byId(id: string): ContainerInfo | undefined {
    return this.containers.find((c) => c.id === id || c.id.startsWith(id));
  }

  private async list(): Promise<void> {
    this.refreshCount++;
    // Health checks and polls list the same containers again and again: only a listing that differs is a change (a
    // change redraws the Deployments view, which closes the hover a user is reading).
    const before = JSON.stringify([this.listed, this.containers]);
    try {
      const engine = await this.docker.engine();
      this.containers = (await engine.listContainers({ all: true, managedOnly: true })).sort((a, b) => b.createdAt - a.createdAt);
      this.listed = true;
    } catch (e) {
      if (isConnectionError(e) && !this.docker.unavailable) this.docker.lost((e as Error).message);
      if (this.docker.unavailable) {
        this.containers = [];
        this.listed = false;
      } else {
        this.logger.warn(`Could not list containers: ${(e as Error).message}`);
      }
    }
    if (JSON.stringify([this.listed, this.containers]) !== before) this.changed.fire();
  }

  private async follow(): Promise<void> {
    if (!this.visible || this.streamAbort) return;
    const abort = new AbortController();
    this.streamAbort = abort;
    try {
      const engine = await this.docker.engine();
      await engine.events({
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === 'container' || e.type === 'image') this.scheduleRefresh();
        },
      });
    } catch (e) {
      if (!abort.signal.aborted) this.logger.debug(`Docker event stream: ${(e as Error).message}`);
    } finally {
      if (this.streamAbort === abort) this.streamAbort = undefined;
    }
    // The stream ended on its own (engine restarted, connection dropped): try again later while visible.
    if (!abort.signal.aborted && this.visible) {
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => void this.follow(), RESTART_EVENTS_MS);
    }
  }

  private stopFollowing(): void {
    this.streamAbort?.abort();
    this.streamAbort = undefined;
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    clearTimeout(this.restartTimer);
    this.pollTimer = undefined;
  }

  /** Whether the event stream is open (for tests). */
  get following(): boolean {
    return this.streamAbort !== undefined;
  }

  override dispose(): void {
    this.visible = false;
    this.stopFollowing();
    super.dispose();
  }
}
