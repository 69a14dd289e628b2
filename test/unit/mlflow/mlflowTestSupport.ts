/** Starting the MLflow endpoint over a fresh run store, with a launched run as launchRun makes it. Not a test file itself. */
import * as path from 'node:path';
import { request } from 'node:http';
import { RunStore } from '../../../src/core/runs/RunStore';
import { MetricsWriter } from '../../../src/core/runs/MetricsWriter';
import { processIdentity } from '../../../src/core/runs/processLiveness';
import { METRICS_FILE, type Run } from '../../../src/core/runs/runTypes';
import { startMlflowEndpoint, type MlflowEndpoint } from '../../../src/core/mlflow/startMlflowEndpoint';
import { tempDir } from '../runs/runsTestSupport';

export interface Fixture {
  ws: string;
  store: RunStore;
  run: Run;
  writer: MetricsWriter;
  ep: MlflowEndpoint;
}

export async function launchedEndpoint(options: { experiment?: string; standalone?: boolean } = {}): Promise<Fixture> {
  const ws = tempDir('mlw-mlflow-');
  const store = new RunStore(ws);
  const run = await store.createRun({
    name: 'train-abcd',
    experiment: options.experiment ?? 'Default',
    status: 'running',
    startTime: Date.now(),
    params: { lr: 0.1 },
    cwd: ws,
    owner: { launcher: processIdentity() },
  });
  const writer = await MetricsWriter.open(path.join(store.runDir(run.id), METRICS_FILE));
  const ep = await startMlflowEndpoint({ store, ...(options.standalone ? {} : { launched: { run, writer } }) });
  return { ws, store, run, writer, ep };
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** A REST call as MLflow's client makes it: GET with query parameters, POST with a JSON body, the Bearer token. */
export async function api(
  ep: MlflowEndpoint,
  endpoint: string,
  body: Record<string, unknown> = {},
  token: string | null = ep.token,
): Promise<Reply> {
  const get = ['experiments/get-by-name', 'experiments/get', 'runs/get', 'metrics/get-history', 'artifacts/list'].includes(endpoint);
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const url = `${ep.url}/api/2.0/mlflow/${endpoint}`;
  const res = get
    ? await fetch(`${url}?${new URLSearchParams(body as Record<string, string>)}`, { headers })
    : await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A raw request (Node's http, which sends the path as given: no `..` normalization as fetch does). */
export function raw(
  ep: MlflowEndpoint,
  method: string,
  pathname: string,
  data?: Buffer | string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(ep.url);
    const req = request({ hostname, port, path: pathname, method, headers: { Authorization: `Bearer ${ep.token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

export const metric = (key: string, value: unknown, step = 0) => ({ key, value, timestamp: 1_700_000_000_000 + step, step });

/** Stops the endpoint, ends what it left open and closes the launched run's writer. */
export async function dispose(f: Fixture): Promise<void> {
  await f.ep.close();
  await f.ep.session.close({ ok: true });
  await f.writer.close().catch(() => undefined);
}
