/**
 * Messages between the extension and the run dashboard / compare webview (app `runs`).
 * Imports nothing: both the extension bundle and the browser bundle compile it. Handshake: the
 * webview posts `ready`, the extension answers with the whole state (`dashboard` or `compare`),
 * later messages are small updates (`append`, `status`). Messages from the webview are untrusted.
 */

export type RunParamValue = string | number | boolean | null;

/** One metric series, as plain arrays (steps and values share an index). */
export interface RunSeries {
  name: string;
  steps: number[];
  values: number[];
}

/** What the webview shows about a run. */
export interface RunView {
  id: string;
  name: string;
  experiment: string;
  status: string;
  source: string;
  params: Record<string, RunParamValue>;
  /** Label/value rows: command, times, duration, git, exit code... */
  meta: Array<[string, string]>;
  /** Last value of each metric. */
  finalMetrics: Record<string, number>;
}

export type RunsToWebview =
  | { type: 'dashboard'; run: RunView; series: RunSeries[]; stdout: string; live: boolean }
  | { type: 'append'; runId: string; points: Record<string, { steps: number[]; values: number[] }>; stdout?: string; reset?: boolean }
  | { type: 'status'; run: RunView; live: boolean }
  | { type: 'compare'; runs: Array<{ run: RunView; series: RunSeries[] }> }
  | { type: 'error'; message: string };

export type RunsFromWebview =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'rerun' }
  | { type: 'openLog' }
  | { type: 'openDashboard'; runId: string };

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
      return typeof raw.runId === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(raw.runId) ? { type: 'openDashboard', runId: raw.runId } : undefined;
    default:
      return undefined;
  }
}
