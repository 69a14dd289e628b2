import type { MetricSeries } from '../../runs/readMetrics';
import type { Run } from '../../runs/runTypes';
import { mlflowConnection } from './mlflowConnections';
import type { MlflowClient } from './MlflowClient';
import { toNumber } from './serverRunToRun';

/** Every metric series of a server run, from metrics/get-history (paged, in the server's order), four metrics at a time. */
export async function readServerRunMetrics(run: Run, client?: MlflowClient): Promise<Map<string, MetricSeries>> {
  const url = run.remote?.url;
  const c = client ?? (url ? mlflowConnection(url) : undefined);
  if (!c)
    throw new Error(
      `Not connected to the MLflow server ${url ?? '(unknown)'} of run ${run.id}: connect to it (ML: Connect to MLflow Tracking Server…).`,
    );
  const keys = [...new Set(((await c.getRun(run.id)).data?.metrics ?? []).map((m) => m.key))];
  const out = new Map<string, MetricSeries>();
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const points = await c.getMetricHistory(run.id, key);
      const s: MetricSeries = {
        name: key,
        steps: Float64Array.from(points, (p) => Number(p.step ?? 0)),
        values: Float64Array.from(points, (p) => toNumber(p.value)),
        timestamps: Float64Array.from(points, (p) => Number(p.timestamp ?? NaN)),
      };
      out.set(key, s);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, keys.length) }, worker));
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}
