import * as vscode from 'vscode';
import type { ContainerInfo } from '../../../core/docker/dockerEngine';
import { Disposable } from '../../../vscode/disposable';
import { ReadonlyDocuments } from '../readonlyDocuments';
import type { DeployContext } from '../deployContext';

const TAIL = 1000;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * "Open Logs" of a container: a read-only document per container that follows the log (stdout and
 * stderr demultiplexed, stderr lines marked) for as long as a tab shows it; closing the last tab
 * closes the stream.
 */
export class ContainerLogs extends Disposable {
  private readonly following = new Map<string, { uri: vscode.Uri; abort: AbortController; since: number }>();

  constructor(private readonly ctx: DeployContext) {
    super();
    this.track(vscode.window.tabGroups.onDidChangeTabs(() => this.dropClosed()));
  }

  static uriFor(c: ContainerInfo): vscode.Uri {
    return ReadonlyDocuments.uri(`${c.name}.log`, `container:${c.id}`);
  }

  async open(c: ContainerInfo): Promise<vscode.Uri> {
    const uri = ContainerLogs.uriFor(c);
    if (!this.following.has(c.id)) {
      this.ctx.docs.set(uri, '');
      const abort = new AbortController();
      this.following.set(c.id, { uri, abort, since: Date.now() });
      void this.follow(c, uri, abort);
    }
    await this.ctx.docs.show(uri, 'log', { preview: false });
    return uri;
  }

  private async follow(c: ContainerInfo, uri: vscode.Uri, abort: AbortController): Promise<void> {
    try {
      const engine = await this.ctx.docker.engine();
      await engine.logs(c.id, {
        follow: true,
        tail: TAIL,
        signal: abort.signal,
        onLine: (stream, line) => {
          // Colour codes (onnxruntime's warnings) would show as control characters in a text document.
          const text = line.replace(ANSI, '');
          this.ctx.docs.append(uri, stream === 'stderr' ? `[stderr] ${text}\n` : `${text}\n`);
        },
      });
      if (!abort.signal.aborted) this.ctx.docs.append(uri, `\n— the log ended (container ${c.name} stopped) —\n`);
    } catch (e) {
      if (!abort.signal.aborted) this.ctx.docs.append(uri, `\n— could not follow the log: ${(e as Error).message} —\n`);
    } finally {
      if (this.following.get(c.id)?.abort === abort) this.following.delete(c.id);
    }
  }

  /** Stops following logs no tab shows any more. */
  private dropClosed(): void {
    for (const [id, f] of this.following) {
      // A tab that is still opening does not count as closed.
      if (Date.now() - f.since > 2_000 && !ReadonlyDocuments.isOpen(f.uri)) {
        f.abort.abort();
        this.following.delete(id);
        this.ctx.docs.forget(f.uri);
      }
    }
  }

  close(id: string): void {
    const f = this.following.get(id);
    f?.abort.abort();
    this.following.delete(id);
  }

  /** Ids of the containers whose logs are followed (for tests). */
  get followed(): string[] {
    return [...this.following.keys()];
  }

  override dispose(): void {
    for (const f of this.following.values()) f.abort.abort();
    this.following.clear();
    super.dispose();
  }
}
