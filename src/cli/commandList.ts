import type { CliCommand } from './cliCommand';
import { doctorCommand } from './commands/doctor';

/** Every `mlw` subcommand, in the order `mlw --help` lists them. */
export const commandList: CliCommand[] = [doctorCommand];
