import type { CliContext } from './cliCommand';

/**
 * Relays a training script's output line by line: stdout to stdout (to stderr under --json, which
 * keeps stdout for the JSON document), stderr to stderr. Chunks are split at newlines; `flush`
 * prints what is left of an unterminated last line.
 */
export function scriptOutput(ctx: CliContext): { emit: (text: string, stream: 'stdout' | 'stderr') => void; flush: () => void } {
  const toStdout = ctx.json ? ctx.err : ctx.out;
  const pending = { stdout: '', stderr: '' };
  const emit = (text: string, stream: 'stdout' | 'stderr'): void => {
    const lines = (pending[stream] + text).split('\n');
    pending[stream] = lines.pop() ?? '';
    for (const l of lines) (stream === 'stdout' ? toStdout : ctx.err)(l.endsWith('\r') ? l.slice(0, -1) : l);
  };
  const flush = (): void => {
    for (const stream of ['stdout', 'stderr'] as const) if (pending[stream]) emit('\n', stream);
  };
  return { emit, flush };
}
