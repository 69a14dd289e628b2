import { runServe, ServeArgsError, SERVE_USAGE } from '../../core/serve/serveArgs';
import { UsageError, type CliCommand } from '../cliCommand';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve ONNX models over the Open Inference Protocol v2 (KServe/Triton REST)',
  usage: SERVE_USAGE,
  async run(args, ctx) {
    try {
      // Arguments are parsed with node:util parseArgs inside parseServeArgs, shared with the server's process entry.
      return await runServe(args, { out: ctx.out, err: ctx.err, logger: ctx.logger, signal: ctx.signal }, ctx.workspace);
    } catch (e) {
      if (e instanceof ServeArgsError) throw new UsageError(e.message);
      throw e;
    }
  },
};
