/**
 * The one quoting function for commands that run on a remote host. ssh hands its command to the remote user's
 * shell as one string, so every word built from a target, a path or a user's value goes through `shellQuote`;
 * nothing else joins words for a remote shell.
 */

/** `s` as one POSIX shell word: as is when it holds only safe characters, else in single quotes. */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new Error('A shell word cannot hold a NUL character');
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An argument vector as one shell command line, each word quoted. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * A remote path: `~/x` stays expandable by the remote shell (`~/` then the quoted rest); anything else is quoted whole.
 */
export function remotePath(p: string): string {
  if (p === '~') return '~';
  if (p.startsWith('~/')) return `~/${shellQuote(p.slice(2))}`;
  return shellQuote(p);
}
