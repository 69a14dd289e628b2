import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { KubectlTarget } from './KubectlTarget';
import { CONTAINER } from './renderRunJob';

const METRIC = '@@mlw:metric ';
const EXIT = '@@mlw:exit ';
const CONTROL = '@@mlw:';

/**
 * Follows a run's pod log (`kubectl logs -f POD -c train`) into the local run: the script's lines to stdout.log (and
 * onOutput), the helper's metric lines (mlw_pod.py writes each new line of metrics.jsonl as `@@mlw:metric {…}`) to
 * metrics.jsonl, and the exit line. The count of log lines taken (and the exit code) is kept in `files.offset`, so a follower started again
 * (the stream ended, the link dropped, ML Workbench restarted) skips what it already has: nothing lost or doubled.
 */
export class PodLogFollower {
  private child: ChildProcess | undefined;
  private pending = '';
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private pod: string | undefined;
  /** Log lines to skip in the current stream (it starts from the pod's first line). */
  private skip = 0;
  /** The script's exit code, once its `@@mlw:exit` line came. */
  exitCode: number | undefined;

  constructor(
    private readonly kubectl: KubectlTarget,
    private readonly files: { output: string; metrics: string; offset: string },
    private readonly onOutput?: (text: string) => void,
  ) {
    this.exitCode = this.saved().exit;
  }

  /** Lines of the pod log already taken. */
  get taken(): number {
    return this.saved().lines;
  }

  private saved(): { lines: number; exit?: number } {
    try {
      const s = JSON.parse(readFileSync(this.files.offset, 'utf8')) as { lines?: unknown; exit?: unknown };
      return { lines: Number(s.lines) || 0, ...(typeof s.exit === 'number' ? { exit: s.exit } : {}) };
    } catch {
      return { lines: 0 };
    }
  }

  get following(): boolean {
    return !!this.child;
  }

  start(pod: string): this {
    if (this.closed || this.child) return this;
    this.pod = pod;
    this.pending = '';
    this.skip = this.taken;
    const child = this.kubectl.spawn(['logs', '-f', pod, '-c', CONTAINER]);
    this.child = child;
    child.stderr?.resume();
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.take(d));
    child.once('error', () => undefined);
    child.once('close', () => {
      if (this.child === child) this.child = undefined;
      // The stream ended (pod done, link dropped): the next poll starts it again if the run goes on.
    });
    return this;
  }

  /** Reads the whole log once more (`kubectl logs POD`), taking only what is new: after the pod ended. */
  async catchUp(): Promise<boolean> {
    if (!this.pod) return true;
    await this.stop();
    const r = await this.kubectl.run(['logs', this.pod, '-c', CONTAINER], { timeoutMs: 120_000 });
    if (r.code !== 0) return false;
    this.pending = '';
    this.skip = this.taken;
    this.take(r.stdout.endsWith('\n') || !r.stdout ? r.stdout : `${r.stdout}\n`);
    return true;
  }

  private take(d: string): void {
    const buf = this.pending + d;
    const end = buf.lastIndexOf('\n') + 1;
    this.pending = buf.slice(end);
    if (!end) return;
    const lines = buf.slice(0, end - 1).split('\n');
    let taken = this.taken;
    let out = '';
    let metrics = '';
    for (const raw of lines) {
      if (this.skip > 0) {
        this.skip--;
        continue;
      }
      taken++;
      const line = raw.replace(/\r$/, '');
      if (line.startsWith(METRIC)) metrics += `${line.slice(METRIC.length)}\n`;
      else if (line.startsWith(EXIT)) this.exitCode = Number(line.slice(EXIT.length));
      else if (line.startsWith(CONTROL)) continue;
      else out += `${line.startsWith(` ${CONTROL}`) ? line.slice(1) : line}\n`;
    }
    if (metrics) appendFileSync(this.files.metrics, metrics);
    if (out) appendFileSync(this.files.output, out);
    writeFileSync(this.files.offset, JSON.stringify({ lines: taken, ...(this.exitCode !== undefined ? { exit: this.exitCode } : {}) }));
    if (out) {
      try {
        this.onOutput?.(out);
      } catch {
        /* a listener's problem is not the copy's */
      }
    }
  }

  private async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
  }
}
