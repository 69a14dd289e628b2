import { invalidParameter } from './mlflowErrors';
import { optionalInt64, optionalString, keyValues, runIdOf, type MlflowInput } from './mlflowInput';
import { runJson, trackedRunJson } from './mlflowRunJson';
import type { MlflowSession } from './MlflowSession';
import { tagOf } from './logHandlers';
import { matchesFilter, orderRuns, parseFilter } from './runSearch';
import type { MlflowStatus } from './TrackedRun';

const STATUSES: readonly MlflowStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const MAX_RESULTS = 50_000;

function stringList(input: MlflowInput, field: string): string[] {
  const v = input[field];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (list.some((x) => typeof x !== 'string'))
    throw invalidParameter(`Invalid value for parameter '${field}': it must be a list of strings.`);
  return list as string[];
}

/** runs/create, runs/get, runs/update, runs/search. */
export const runHandlers = {
  async 'runs/create'(s: MlflowSession, input: MlflowInput) {
    const tags = keyValues(input, 'tags').map(tagOf);
    const run = await s.createRun({
      experimentId: optionalString(input, 'experiment_id'),
      runName: optionalString(input, 'run_name'),
      startTime: optionalInt64(input, 'start_time'),
      tags,
    });
    return { run: trackedRunJson(run) };
  },

  async 'runs/get'(s: MlflowSession, input: MlflowInput) {
    return { run: runJson(await s.readable(runIdOf(input))) };
  },

  async 'runs/update'(s: MlflowSession, input: MlflowInput) {
    const status = optionalString(input, 'status') as MlflowStatus | undefined;
    if (status !== undefined && !STATUSES.includes(status)) throw invalidParameter(`Invalid run status '${status}'.`);
    const endTime = optionalInt64(input, 'end_time');
    const run = await s.writable(runIdOf(input));
    if (status && status !== 'RUNNING' && status !== 'SCHEDULED') {
      if (run.kind === 'owned') await run.finish(status, endTime ?? Date.now());
      else {
        // The launched run ends when its process does; the launcher records that. Keep what the script said.
        run.mlflowStatus = status;
        run.mlflowEndTime = endTime ?? Date.now();
      }
    } else if (status) {
      run.mlflowStatus = status;
      run.mlflowEndTime = null;
    }
    return { run_info: trackedRunJson(run).info };
  },

  async 'runs/search'(s: MlflowSession, input: MlflowInput) {
    const experimentIds = new Set(stringList(input, 'experiment_ids'));
    const clauses = parseFilter(optionalString(input, 'filter'));
    const maxResults = optionalInt64(input, 'max_results') ?? 1000;
    if (maxResults < 1 || maxResults > MAX_RESULTS) {
      throw invalidParameter(
        `Invalid value for parameter 'max_results' supplied. It must be at most ${MAX_RESULTS}, but got value ${maxResults}`,
      );
    }
    const token = optionalString(input, 'page_token');
    const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalidParameter(`Invalid page token '${token}'.`);
    const seen = new Set<string>();
    const all = [];
    for (const t of s.tracked()) {
      seen.add(t.id);
      all.push(trackedRunJson(t));
    }
    for (const r of await s.store.listRuns()) if (!seen.has(r.id)) all.push(runJson(r));
    const inExperiments = all.filter((r) => !experimentIds.size || experimentIds.has(r.info.experiment_id));
    const sorted = orderRuns(
      inExperiments.filter((r) => matchesFilter(r, clauses)),
      stringList(input, 'order_by'),
    );
    const page = sorted.slice(offset, offset + maxResults);
    const next = offset + maxResults < sorted.length ? Buffer.from(String(offset + maxResults)).toString('base64') : undefined;
    return next ? { runs: page, next_page_token: next } : { runs: page };
  },
};
