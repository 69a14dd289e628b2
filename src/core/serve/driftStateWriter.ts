/**
 * Writes each served model's drift state to `<dir>/<model>.json` for the registry's `no_drift` gate
 * (registry/driftState.ts reads it): the model's GET /v2/models/{name}/stats answer, plus when and by which server
 * it was written. Only models with a reference profile are written, every `intervalMs` while their observed counts
 * change, and once more when the server closes. Files are replaced atomically (temporary file, then rename).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../logger';
import type { InferenceServer } from './inferenceServer';
import { safeName } from './capture/modelCapture';

export const DRIFT_STATE_INTERVAL_MS = 2000;

export class DriftStateWriter {
  private readonly last = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private warned = false;

  constructor(
    readonly dir: string,
    private readonly server: InferenceServer,
    private readonly logger: Logger,
    private readonly intervalMs = DRIFT_STATE_INTERVAL_MS,
  ) {}

  /** The file of a model's drift state. */
  fileOf(model: string): string {
    return path.join(this.dir, `${safeName(model)}.json`);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Writes the state of every model whose observations changed since the last write. */
  flush(): Promise<void> {
    this.writing ??= this.writeChanged().finally(() => (this.writing = undefined));
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    while (this.writing) await this.writing;
    await this.flush();
  }

  private async writeChanged(): Promise<void> {
    for (const model of this.server.models.values()) {
      if (!model.drift?.hasReference) continue;
      const stats = this.server.stats(model) as { drift: { inputs: { observed: number; skipped: number }[] } };
      const key = stats.drift.inputs.map((i) => `${i.observed}/${i.skipped}`).join(',');
      if (this.last.get(model.name) === key) continue;
      const file = this.fileOf(model.name);
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(this.dir, { recursive: true });
        await writeFile(tmp, JSON.stringify({ ...stats, written_at: new Date().toISOString(), written_by: 'mlw serve' }, null, 1) + '\n');
        await rename(tmp, file);
        this.last.set(model.name, key);
      } catch (e) {
        if (!this.warned) this.logger.warn(`cannot write the drift state of model '${model.name}' to ${file}: ${(e as Error).message}`);
        this.warned = true;
      }
    }
  }
}
