import type { Logger } from '../core/logger';

/** What every `mlw` subcommand receives. */
export interface CliContext {
  /** Absolute path of the workspace the command acts on (`--workspace`, else the current directory). */
  workspace: string;
  /** `--json`: print one JSON document on stdout instead of text. */
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  logger: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** One `mlw` subcommand. `run` returns the process exit code. */
export interface CliCommand {
  name: string;
  summary: string;
  /** Full help text, shown by `mlw <name> --help`. */
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}

/** A usage error: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}
