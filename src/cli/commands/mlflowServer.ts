import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../cliCommand';
import { RunStore } from '../../core/runs/RunStore';
import { startMlflowEndpoint } from '../../core/mlflow/startMlflowEndpoint';

const usage = `mlw mlflow-server [--port N] [--host 127.0.0.1] [--token T] [--json]

Serves the workspace's runs over MLflow's tracking REST API 2.0, so a team without an MLflow
server can share runs: MLflow clients, "ML: Connect to MLflow Tracking Server…" and
"mlw runs push ID --to URL" read and write runs here (experiments, runs, metric history,
artifacts through /api/2.0/mlflow-artifacts). Runs pushed here land in this workspace's .mlw/runs.
The workspace's model registry (.mlw/registry/) is served as MLflow's Model Registry API: registered
models and versions (get, search, create, update, tags), aliases (set, delete, get-by-alias) and
get-download-uri; "mlw registry" in another workspace with MLFLOW_TRACKING_URI set mirrors into it.
Every request needs the token: "Authorization: Bearer T" (MLFLOW_TRACKING_TOKEN=T), or basic auth
with T as the password (MLFLOW_TRACKING_USERNAME=any MLFLOW_TRACKING_PASSWORD=T).
Runs until Ctrl+C.

Options:
  --port N      the port (default 5000, as mlflow server; 0 picks a free one)
  --host ADDR   the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for the network)
  --token T     the token clients must send (default: a new random one, printed)
  --json        print {url, token, workspace} on one line once listening`;

export const mlflowServerCommand: CliCommand = {
  name: 'mlflow-server',
  summary: "Serve the workspace's runs as an MLflow tracking server",
  usage,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      allowPositionals: false,
      options: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } },
    });
    const port = values.port === undefined ? 5000 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a port number (0-65535), not ${values.port}`);
    if (values.token !== undefined && !values.token) throw new UsageError('--token must not be empty');
    const store = new RunStore(ctx.workspace, ctx.logger);
    let ep;
    try {
      ep = await startMlflowEndpoint({ store, logger: ctx.logger, port, host: values.host ?? '127.0.0.1', token: values.token });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new Error(`port ${port} is in use: pick another with --port N (0: any free port)`);
      if (code === 'EADDRNOTAVAIL') throw new Error(`cannot listen on ${values.host}: not an address of this machine`);
      throw e;
    }
    if (ctx.json) ctx.out(JSON.stringify({ url: ep.url, token: ep.token, workspace: ctx.workspace }));
    else {
      ctx.out(`MLflow tracking server for ${ctx.workspace} on ${ep.url}`);
      ctx.out(`  export MLFLOW_TRACKING_URI=${ep.url}`);
      ctx.out(`  export MLFLOW_TRACKING_TOKEN=${ep.token}`);
      ctx.out('Stop with Ctrl+C.');
    }
    // The endpoint's server does not keep a process alive by itself: this command is that process.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(keepAlive);
    await ep.close(5_000);
    await Promise.all(ep.session.tracked().map((r) => r.flush().catch(() => undefined)));
    return 0;
  },
};
