import { promises as fsp } from 'node:fs';
import type { MetricPoint } from './runTypes';

/** A number as a token of the metrics log: JSON, plus NaN / Infinity / -Infinity as Python's json writes them. */
export function formatMetricValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (v !== v) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

/** One line of metrics.jsonl in the canonical key order the fast reader expects. */
export function formatMetricLine(p: MetricPoint): string {
  return `{"k":${JSON.stringify(p.k)},"v":${formatMetricValue(p.v)},"s":${formatMetricValue(p.s)},"t":${formatMetricValue(p.t)}}\n`;
}

/**
 * Appends metric points to a metrics.jsonl file. Every batch goes out in one write() on a file
 * opened with O_APPEND, so whole lines from this writer and from the Python helper (which
 * writes the same way) never interleave. On open, a torn last line left by a crashed writer is
 * terminated so that it cannot swallow the next good line.
 */
export class MetricsWriter {
  private handle: fsp.FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly steps = new Map<string, number>();
  private failed: Error | undefined;

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<MetricsWriter> {
    const w = new MetricsWriter(file);
    w.handle = await fsp.open(file, 'a+');
    const { size } = await w.handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await w.handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await w.handle.write('\n');
    }
    return w;
  }

  /** Next automatic step for `name` (its count of points so far from this writer). */
  nextStep(name: string): number {
    return this.steps.get(name) ?? 0;
  }

  /** Queues points for writing; a point without a step gets the next automatic one for its name. */
  append(points: Array<{ k: string; v: number; s?: number | null; t?: number }>): Promise<void> {
    if (!points.length) return this.chain;
    const now = Date.now();
    let text = '';
    for (const p of points) {
      const s = p.s ?? this.nextStep(p.k);
      this.steps.set(p.k, Math.max(this.nextStep(p.k), Math.floor(s) + 1));
      text += formatMetricLine({ k: p.k, v: p.v, s, t: p.t ?? now });
    }
    this.chain = this.chain.then(async () => {
      if (!this.handle || this.failed) return;
      try {
        // One write() for the whole batch; loop only on the rare short write.
        const data = Buffer.from(text, 'utf8');
        let done = 0;
        while (done < data.length) done += (await this.handle.write(data, done, data.length - done)).bytesWritten;
      } catch (e) {
        this.failed = e as Error;
      }
    });
    return this.chain;
  }

  /** Waits for queued writes and closes the file. Throws the first write error, if any. */
  async close(): Promise<void> {
    await this.chain;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
    if (this.failed) throw this.failed;
  }
}
