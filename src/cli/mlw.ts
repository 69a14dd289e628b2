#!/usr/bin/env node
import * as path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { Logger } from '../core/logger';
import { UsageError, type CliContext } from './cliCommand';
import { commandList } from './commandList';

declare const MLW_VERSION: string | undefined;
const version = typeof MLW_VERSION === 'string' ? MLW_VERSION : '0.0.0-dev';

const help = () => `mlw ${version}: ML Workbench from a terminal, a CI job or a container.

Usage: mlw [--workspace DIR] [--json] [--verbose] <command> [args]

Commands:
${commandList.map((c) => `  ${c.name.padEnd(13)} ${c.summary}`).join('\n')}

Global options:
  --workspace DIR  act on DIR instead of the current directory
  --json           print one JSON document on stdout
  --verbose        log debug messages on stderr
  --help, -h       this help, or a command's help: mlw <command> --help
  --version, -v    print the version`;

function stderrLogger(verbose: boolean): Logger {
  const write =
    (level: string) =>
    (message: string | Error, ...args: unknown[]) => {
      const text = message instanceof Error ? (verbose ? (message.stack ?? message.message) : message.message) : message;
      process.stderr.write(
        `[${level}] ${text}${args.length ? ' ' + args.map((a) => (a instanceof Error ? a.message : JSON.stringify(a))).join(' ') : ''}\n`,
      );
    };
  const none = () => undefined;
  return {
    trace: none,
    debug: verbose ? write('debug') : none,
    info: verbose ? write('info') : none,
    warn: write('warn'),
    error: write('error'),
  };
}

/** Splits global options (before the command) from the command and its own arguments. */
export function parseGlobal(argv: string[]): {
  workspace?: string;
  json: boolean;
  verbose: boolean;
  help: boolean;
  version: boolean;
  command?: string;
  rest: string[];
} {
  const out = { json: false, verbose: false, help: false, version: false, rest: [] as string[] } as ReturnType<typeof parseGlobal>;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = true;
    else if (a === '--verbose') out.verbose = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--version' || a === '-v') out.version = true;
    else if (a === '--workspace') out.workspace = argv[++i];
    else if (a.startsWith('--workspace=')) out.workspace = a.slice('--workspace='.length);
    else break;
  }
  out.command = argv[i];
  // Global flags may also follow the command (`mlw runs --json`), but not after `--`: those belong to the script.
  const after = argv.slice(i + 1);
  const dashdash = after.indexOf('--');
  after.forEach((a, j) => {
    const own = dashdash < 0 || j < dashdash;
    if (own && a === '--json') out.json = true;
    else if (own && a === '--verbose') out.verbose = true;
    else out.rest.push(a);
  });
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const g = parseGlobal(argv);
  if (g.version) {
    console.log(g.json ? JSON.stringify({ version }) : version);
    return 0;
  }
  if (!g.command) {
    (g.help ? console.log : console.error)(help());
    return g.help ? 0 : 2;
  }
  const command = commandList.find((c) => c.name === g.command);
  if (!command) {
    console.error(`mlw: unknown command "${g.command}". Run mlw --help for the list.`);
    return 2;
  }
  const own = g.rest.indexOf('--') < 0 ? g.rest : g.rest.slice(0, g.rest.indexOf('--'));
  if (g.help || own.includes('--help') || own.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  const workspace = path.resolve(g.workspace ?? process.cwd());
  if (!existsSync(workspace) || !statSync(workspace).isDirectory()) {
    console.error(`mlw: workspace is not a folder: ${workspace}`);
    return 2;
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ctx: CliContext = {
    workspace,
    json: g.json,
    out: (t) => process.stdout.write(t + '\n'),
    err: (t) => process.stderr.write(t + '\n'),
    logger: stderrLogger(g.verbose),
    signal: abort.signal,
  };
  try {
    return await command.run(g.rest, ctx);
  } catch (e) {
    const err = e as Error;
    if (e instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith?.('ERR_PARSE_ARGS')) {
      console.error(`mlw ${command.name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    if (err.name === 'AbortError') return 130;
    console.error(`mlw ${command.name}: ${g.verbose ? (err.stack ?? err.message) : err.message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
