/** The shell-quoted text of a deployment's commands, one a line, for display and copying. */
import { cloudStatusCommand } from './cloudStatusCommand';
import type { CloudDeployment } from './cloudTypes';

/** Quotes one argument for a POSIX shell: bare when it is plainly safe, else in single quotes. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommands(dep: CloudDeployment): string {
  const line = (argv: string[]) => argv.map(shellQuote).join(' ');
  return `${dep.commands.map(line).join('\n')}\n# then follow the endpoint until it is in service:\n# ${line(cloudStatusCommand(dep))}\n`;
}
