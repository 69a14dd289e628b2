/** A partial line longer than this is written out anyway (a script printing without newlines must not hold memory). */
const MAX_PENDING = 16 * 1024;

/**
 * Puts `prefix` before every line of one run's output, so that the output of runs going in parallel
 * can share one channel: `push` returns the complete lines of a chunk (a partial line waits for the
 * rest), `flush` what is left when the run ends. A progress bar redrawn with `\r` keeps only its
 * last state, as a terminal would show it.
 */
export class LinePrefixer {
  private pending = '';

  constructor(private readonly prefix: string) {}

  /** The complete lines of `pending + chunk`, each prefixed and ending in `\n`; '' when no line is complete yet. */
  push(chunk: string): string {
    const text = this.pending + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.pending = text;
      if (this.pending.length <= MAX_PENDING) return '';
      return this.flush();
    }
    this.pending = text.slice(end + 1);
    let out = '';
    for (const line of text.slice(0, end).split('\n')) out += this.prefix + lastRedraw(line) + '\n';
    if (this.pending.length > MAX_PENDING) out += this.flush();
    return out;
  }

  /** What is left of the last line, prefixed and ended with `\n`; '' when nothing is left. */
  flush(): string {
    const rest = lastRedraw(this.pending);
    this.pending = '';
    return rest ? `${this.prefix}${rest}\n` : '';
  }
}

/** A line as a terminal leaves it after `\r` redraws (CRLF line ends count as none). */
function lastRedraw(line: string): string {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
  const cr = trimmed.lastIndexOf('\r');
  return cr < 0 ? trimmed : trimmed.slice(cr + 1);
}
