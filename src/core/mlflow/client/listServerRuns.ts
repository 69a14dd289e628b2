import type { Run } from '../../runs/runTypes';
import type { MlflowClient } from './MlflowClient';
import { serverRunToRun } from './serverRunToRun';

export interface ServerRunsPage {
  runs: Run[];
  nextPageToken?: string;
}

/**
 * One page of a server experiment's runs, newest first, searched by the server (`filter` is MLflow's
 * search syntax: `metrics.acc > 0.9 AND params.lr = '0.1'`).
 */
export async function serverRunsPage(
  client: MlflowClient,
  experiment: { id: string; name: string },
  options: { pageSize?: number; pageToken?: string; filter?: string } = {},
): Promise<ServerRunsPage> {
  const page = await client.searchRuns({
    experimentIds: [experiment.id],
    filter: options.filter,
    orderBy: ['attributes.start_time DESC'],
    maxResults: options.pageSize ?? 100,
    pageToken: options.pageToken,
  });
  return {
    runs: page.runs.map((r) => serverRunToRun(r, client.url, experiment.name)),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  };
}

/** Every run of every experiment of the server (what `mlw runs` lists), at most `limit`. */
export async function listServerRuns(client: MlflowClient, options: { limit?: number; filter?: string } = {}): Promise<Run[]> {
  const experiments = await client.allExperiments();
  const names = new Map(experiments.map((e) => [e.experiment_id, e.name]));
  const limit = options.limit ?? Infinity;
  const out: Run[] = [];
  if (!experiments.length) return out;
  let pageToken: string | undefined;
  do {
    const page = await client.searchRuns({
      experimentIds: [...names.keys()],
      filter: options.filter,
      orderBy: ['attributes.start_time DESC'],
      maxResults: Math.min(1000, limit - out.length),
      pageToken,
    });
    for (const r of page.runs) out.push(serverRunToRun(r, client.url, names.get(r.info.experiment_id) ?? r.info.experiment_id));
    pageToken = page.nextPageToken;
  } while (pageToken && out.length < limit);
  return out;
}
