/**
 * Messages between the extension and the run dashboard / compare webview (app `runs`). Both the
 * extension bundle and the browser bundle compile it, so it imports types only (core's run shapes from
 * src/core/runs/runTypes.ts, which imports nothing). Handshake: the webview posts `ready`, the extension
 * answers with the whole state (`dashboard` or `compare`), later messages are small updates (`append`,
 * `status`). Messages from the webview are untrusted.
 * Whole series travel as typed arrays (PackedSeries); appended points as plain arrays (null for NaN).
 */
import type { ParamValue, RunDeployment, RunSource, RunStatus } from '../core/runs/runTypes';
import type { StudySummary } from '../core/sweeps/studyTypes';
import type { RegistryPageView } from '../core/registry/registryPageTypes';
import { ALIAS_NAME, MODEL_NAME } from '../core/registry/registryTypes';

/** A run's flattened parameter value, as the run store holds it. */
export type RunParamValue = ParamValue;

/**
 * One metric series as typed arrays (NaN = no value), each on its own compact buffer. VS Code
 * (1.57+) passes typed arrays to a webview as binary buffers and recreates them there, so a
 * million points cost a copy instead of JSON text and a million boxed numbers on each side.
 */
export interface PackedSeries {
  name: string;
  steps: Float64Array;
  values: Float64Array;
  /** Seconds since the run started, per point: only for series charted against time (system metrics). */
  times?: Float64Array;
}

/** Which series also carry their times (`times` of PackedSeries), counted from `origin` (epoch ms). */
export interface SeriesTimes {
  wanted: (name: string) => boolean;
  origin: number;
}

/** Seconds since `origin` of epoch-ms timestamps. */
export const secondsSince = (timestamps: ArrayLike<number>, origin: number): Float64Array =>
  Float64Array.from(timestamps, (t) => (t - origin) / 1000);

/** Compact copies of the series (a subarray would drag its whole backing buffer along). */
export function packSeries(
  series: Iterable<{ name: string; steps: ArrayLike<number>; values: ArrayLike<number>; timestamps?: ArrayLike<number> }>,
  times?: SeriesTimes,
): PackedSeries[] {
  return Array.from(series, (s) => ({
    name: s.name,
    steps: Float64Array.from(s.steps),
    values: Float64Array.from(s.values),
    ...(times && s.timestamps && times.wanted(s.name) ? { times: secondsSince(s.timestamps, times.origin) } : {}),
  }));
}

/** What the webview shows about a run. */
export interface RunView {
  id: string;
  name: string;
  experiment: string;
  status: RunStatus;
  source: RunSource;
  params: Record<string, RunParamValue>;
  /** Label/value rows: command, times, duration, git, exit code... */
  meta: Array<[string, string]>;
  /** Last value of each metric. */
  finalMetrics: Record<string, number>;
  /** The run's tags (with the user's edits) and notes. */
  tags?: Record<string, string>;
  notes?: string;
}

/** Whether smaller or larger values of a metric are better (guessed from its name by the extension). */
export type RunMetricGoal = 'min' | 'max';

/** One deployment record of the model a run produced, as core's runDeployments returns it. */
export type RunDeploymentView = RunDeployment;

/** Final (last), min and max of one metric of a run (absent when it has no finite value). */
export interface RunMetricStats {
  final?: number;
  min?: number;
  max?: number;
}

/**
 * The Optuna study the compared runs belong to (a Bayesian or random `--space` sweep): what its driver read from
 * `.mlw/studies/<name>.db` (importances included), the best value after each trial, or why it could not be read.
 */
export interface RunStudyView {
  name: string;
  summary?: StudySummary;
  progress: Array<{ trial: number; value: number | null; best: number | null }>;
  error?: string;
}

export type RunsToWebview =
  | { type: 'dashboard'; run: RunView; series: PackedSeries[]; stdout: string; live: boolean; deployments?: RunDeploymentView[] }
  | {
      type: 'append';
      runId: string;
      /** `times`: as PackedSeries' (system metrics only). */
      points: Record<string, { steps: number[]; values: number[]; times?: number[] }>;
      stdout?: string;
      reset?: boolean;
    }
  | { type: 'status'; run: RunView; live: boolean }
  | {
      type: 'compare';
      runs: Array<{ run: RunView; series: PackedSeries[]; stats: Record<string, RunMetricStats> }>;
      goals: Record<string, RunMetricGoal>;
      /** When every compared run is a trial of one study (sent again in a `study` message once read). */
      study?: RunStudyView;
    }
  | { type: 'study'; study: RunStudyView }
  /** The registry page: registered models, versions, gates for the candidate, alias history. */
  | { type: 'registry'; page: RegistryPageView }
  | { type: 'error'; message: string };

/** What the registry page asks of the extension (each runs the command of the same name). */
export type RegistryAction =
  | { type: 'promote'; model: string; version: number }
  | { type: 'rollback'; model: string; alias: string }
  | { type: 'setAlias'; model: string; version: number }
  | { type: 'serveAlias'; model: string; alias: string }
  | { type: 'deployAlias'; model: string; alias: string };

export type RunsFromWebview =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'rerun' }
  | { type: 'openLog' }
  | { type: 'openDashboard'; runId: string }
  | { type: 'openRegistry' }
  | RegistryAction;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the message when it is a well-formed RunsFromWebview, else undefined. */
export function parseRunsMessage(raw: unknown): RunsFromWebview | undefined {
  if (!isObj(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'stop':
    case 'rerun':
    case 'openLog':
      return { type: raw.type };
    case 'openDashboard':
      return typeof raw.runId === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(raw.runId)
        ? { type: 'openDashboard', runId: raw.runId }
        : undefined;
    case 'openRegistry':
      return { type: 'openRegistry' };
    case 'promote':
    case 'setAlias': {
      const { model, version } = raw;
      return typeof model === 'string' && MODEL_NAME.test(model) && typeof version === 'number' && Number.isInteger(version) && version > 0
        ? { type: raw.type, model, version }
        : undefined;
    }
    case 'rollback':
    case 'serveAlias':
    case 'deployAlias': {
      const { model, alias } = raw;
      return typeof model === 'string' && MODEL_NAME.test(model) && typeof alias === 'string' && ALIAS_NAME.test(alias)
        ? { type: raw.type, model, alias }
        : undefined;
    }
    default:
      return undefined;
  }
}
