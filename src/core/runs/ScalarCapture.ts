import { compileScalarPattern, matchScalarPattern, type ScalarPoint } from './compileScalarPattern';
import { parseMetricLine, type ParsedMetricLine } from './parseMetricLine';
import { MAX_SCALAR_LINE, parsePrintedScalars } from './parsePrintedScalars';

export interface ScalarCaptureOptions {
  /**
   * Take metrics from printed `name=value` / `name: value` pairs on stdout and stderr (see
   * parsePrintedScalars). Default true. `mlw: name=value` lines on stdout count either way.
   */
  capture?: boolean;
  /**
   * Use this pattern instead of the printed-scalar rules (see compileScalarPattern). An invalid
   * pattern is reported once through `warn` and the rules are used.
   */
  pattern?: string;
}

type Stream = 'stdout' | 'stderr';

/** A "line" without a newline after a megabyte is dropped: it is not a metric line. */
const MAX_PENDING = 1 << 20;
const MLW_PREFIX = /^\s*mlw:/;
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

function toPoints(parsed: ParsedMetricLine | undefined): ScalarPoint[] {
  if (!parsed) return [];
  return parsed.step === undefined ? parsed.values : parsed.values.map((p) => ({ k: p.k, v: p.v, s: parsed.step }));
}

/**
 * Turns a running script's output into metric points. Output arrives in chunks per stream; each
 * stream is split into lines of its own. Of a line rewritten with `\r` (progress bars), only the
 * text after the last `\r` counts; colour escapes are dropped. A line starting with `mlw:` is read
 * by parseMetricLine alone (all or nothing), on stdout only, as it always was; any other line of
 * either stream, when capture is on, by the user's pattern or by parsePrintedScalars, up to
 * MAX_SCALAR_LINE characters.
 */
export class ScalarCapture {
  private readonly pending: Record<Stream, string> = { stdout: '', stderr: '' };
  private readonly capture: boolean;
  private readonly pattern: RegExp | undefined;

  constructor(
    options: ScalarCaptureOptions | undefined,
    private readonly sink: (points: ScalarPoint[]) => void,
    warn: (message: string) => void = () => undefined,
  ) {
    this.capture = options?.capture !== false;
    if (this.capture && options?.pattern) {
      try {
        this.pattern = compileScalarPattern(options.pattern);
      } catch (e) {
        warn(`${(e as Error).message}: using the default name=value / name: value rules instead`);
      }
    }
  }

  /** The points of one complete line (without its `\n`) of `stream`. */
  parseLine(line: string, stream: Stream): ScalarPoint[] {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const r = line.lastIndexOf('\r');
    if (r >= 0) line = line.slice(r + 1);
    if (line.includes('\x1b')) line = line.replace(ANSI, '');
    if (MLW_PREFIX.test(line)) return stream === 'stdout' ? toPoints(parseMetricLine(line)) : []; // as always: stdout only
    if (!this.capture || line.length > MAX_SCALAR_LINE) return [];
    return this.pattern ? matchScalarPattern(line, this.pattern) : toPoints(parsePrintedScalars(line));
  }

  push(text: string, stream: Stream): void {
    if (!this.capture && stream === 'stderr') return;
    const parts = (this.pending[stream] + text).split('\n');
    let rest = parts.pop() ?? '';
    // One batch per chunk: the writer then makes one write() for all its lines.
    const batch: ScalarPoint[] = [];
    for (const line of parts) for (const p of this.parseLine(line, stream)) batch.push(p);
    if (batch.length) this.sink(batch);
    // Only what follows the last `\r` of a line counts: drop the progress updates before it.
    const r = rest.lastIndexOf('\r', rest.length - 2);
    if (r > 0) rest = rest.slice(r);
    this.pending[stream] = rest.length > MAX_PENDING ? '' : rest;
  }

  /** Reads the unfinished last line of each stream (the script has exited). */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.pending[stream];
      this.pending[stream] = '';
      const points = rest ? this.parseLine(rest, stream) : [];
      if (points.length) this.sink(points);
    }
  }
}
