#!/usr/bin/env node
/**
 * Process entry of the model server, for the extension's child process and the container:
 *   node main.js <model.onnx|folder|name=path>... [mlw serve options]
 * Same arguments and stdout JSON lines as `mlw serve`. SIGTERM/SIGINT drain in-flight requests, then exit 0.
 * Exit codes: 0 after a clean drain, 1 when the server cannot start, 2 on bad arguments.
 */
import type { Logger } from '../logger';
import { runServe, ServeArgsError, SERVE_USAGE } from './serveArgs';
import { platformContract } from './platform/platformContract';
import { isWorkerPrimary, runServerWorkers } from './platform/serverWorkers';

function stderrLogger(verbose: boolean): Logger {
  const write =
    (level: string) =>
    (message: string | Error, ...args: unknown[]) => {
      const text = message instanceof Error ? message.message : message;
      process.stderr.write(`${JSON.stringify({ level, message: text, ...(args.length ? { args } : {}) })}\n`);
    };
  const none = () => undefined;
  return { trace: none, debug: verbose ? write('debug') : none, info: write('info'), warn: write('warn'), error: write('error') };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVE_USAGE + '\n');
    return 0;
  }
  const verbose = argv.includes('--verbose');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const logger = stderrLogger(verbose);
    let args = argv.filter((a) => a !== '--verbose');
    // A cloud platform's container contract, chosen from the environment (see platform/platformContract.ts).
    const contract = platformContract(args);
    if (contract) {
      logger.info(`meeting the ${contract.platform} container contract`);
      for (const n of contract.notices) logger.info(n);
      args = contract.args;
      if (isWorkerPrimary(contract.workers)) return await runServerWorkers(contract.workers, { signal: abort.signal, logger });
    }
    return await runServe(
      args,
      {
        out: (l) => process.stdout.write(l + '\n'),
        err: (l) => process.stderr.write(l + '\n'),
        logger,
        signal: abort.signal,
      },
      process.cwd(),
      { adapters: contract?.adapters },
    );
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const usage = e instanceof ServeArgsError || err.code?.startsWith?.('ERR_PARSE_ARGS');
    process.stderr.write(`mlw serve: ${err.message}${usage ? `\n\n${SERVE_USAGE}` : ''}\n`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
