import type { CliCommand } from './cliCommand';
import { benchCommand } from './commands/bench';
import { ciCommand } from './commands/ci';
import { containerizeCommand } from './commands/containerize';
import { deployCommand } from './commands/deploy';
import { diffCommand } from './commands/diff';
import { doctorCommand } from './commands/doctor';
import { editCommand } from './commands/edit';
import { exportCommand } from './commands/export';
import { gcCommand } from './commands/gc';
import { inspectCommand } from './commands/inspect';
import { mlflowServerCommand } from './commands/mlflowServer';
import { newCommand } from './commands/new';
import { optimizeCommand } from './commands/optimize';
import { pipelineCommand } from './commands/pipeline';
import { profileCommand } from './commands/profile';
import { registryCommand } from './commands/registry';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { serveCommand } from './commands/serve';
import { sweepCommand } from './commands/sweep';
import { targetsCommand } from './commands/targets';
import { tryCommand } from './commands/try';

/** Every `mlw` subcommand, in the order `mlw --help` lists them. */
export const commandList: CliCommand[] = [
  newCommand,
  inspectCommand,
  diffCommand,
  editCommand,
  exportCommand,
  tryCommand,
  benchCommand,
  optimizeCommand,
  runCommand,
  sweepCommand,
  targetsCommand,
  pipelineCommand,
  ciCommand,
  runsCommand,
  registryCommand,
  gcCommand,
  mlflowServerCommand,
  serveCommand,
  containerizeCommand,
  deployCommand,
  profileCommand,
  doctorCommand,
];
