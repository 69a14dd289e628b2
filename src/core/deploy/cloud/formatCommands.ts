/** The shell-quoted text of a deployment's commands, one a line, for display and copying. */
import type { CloudDeployment } from './cloudTypes';

/** Quotes one argument for a POSIX shell: bare when it is plainly safe, else in single quotes. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommands(dep: CloudDeployment): string {
  return dep.commands.map((argv) => argv.map(shellQuote).join(' ')).join('\n') + '\n';
}
