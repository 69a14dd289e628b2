/**
 * Messages between the extension and the model server monitor webview. Imports nothing: both the
 * extension bundle and the browser bundle compile it. Handshake as in protocol.ts: the webview posts
 * `ready`, the extension answers with `init` (the history so far), then one `point` per second.
 * The extension polls the server's /metrics; the webview never talks to the network (its CSP has no connect-src).
 */

/** One second of a server's traffic (same shape as MonitorPoint in src/core/serve/metricsText.ts). */
export interface MonitorPoint {
  /** Epoch milliseconds of the scrape. */
  t: number;
  requestsPerSecond: number;
  /** Latency quantiles of the interval's requests, milliseconds; null when there were none. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** 0..1; null when there were no requests. */
  errorRate: number | null;
  /** Mean requests per session.run; null when nothing ran. */
  batchSize: number | null;
  inflight: number;
}

export type MonitorStatus = 'live' | 'unreachable' | 'stopped';

/** One input feature's drift against the reference profile (from GET /v2/models/{name}/stats). */
export interface DriftFeatureRow {
  input: string;
  /** Position of the feature in a row (element mode) or along the last axis. */
  index: number;
  /** Column name from the reference data, when it had one (CSV header). */
  name?: string;
  /** Population stability index; null before enough values or without a reference. */
  psi: number | null;
  /** Two-sample Kolmogorov-Smirnov statistic against the reference sample. */
  ks: number | null;
  /** Values observed by the server since it started. */
  count: number;
  mean: number | null;
  std: number | null;
  /** Values of this feature in the reference data; null without a reference. */
  referenceCount: number | null;
  referenceMean: number | null;
  referenceStd: number | null;
}

/** The feature's label: its column name, else input[index]. */
export function featureLabel(row: Pick<DriftFeatureRow, 'input' | 'index' | 'name'>): string {
  return row.name ?? `${row.input}[${row.index}]`;
}

/** Whether a feature counts as drifted: PSI over the threshold with at least `minCount` observed values. */
export function isDriftedFeature(f: Pick<DriftFeatureRow, 'psi' | 'count'>, threshold: number, minCount: number): boolean {
  return f.psi !== null && f.psi > threshold && f.count >= minCount;
}

/** Drift of one served model. */
export interface ModelDrift {
  model: string;
  /** The server has a reference profile for at least one input of the model. */
  reference: boolean;
  /** Rows the server looked at (max over inputs). */
  observed: number;
  /** Rows in the reference data (max over inputs); null without a reference. */
  referenceRows: number | null;
  features: DriftFeatureRow[];
  /** Things the user should know, e.g. requests left out because their layout differs from the reference. */
  notes: string[];
}

export interface DriftState {
  /** PSI above which a feature counts as drifted (setting mlWorkbench.serve.driftThreshold). */
  threshold: number;
  /** PSI is judged only once a feature has this many observed values. */
  minCount: number;
  models: ModelDrift[];
  /** Why drift is unavailable (e.g. the server has no mlw_model_stats extension). */
  unavailable?: string;
  /** The monitor can build a reference profile for this server (a local server whose model file is known). */
  canBuildProfile: boolean;
}

export type MonitorToWebview =
  | { type: 'init'; title: string; url: string; points: MonitorPoint[]; status: MonitorStatus; canSendTestRequest: boolean; canOpenLog: boolean }
  | { type: 'point'; point: MonitorPoint }
  | { type: 'status'; status: MonitorStatus; message?: string; url?: string }
  | { type: 'drift'; drift: DriftState };

export type MonitorFromWebview =
  | { type: 'ready' }
  | { type: 'sendTestRequest' }
  | { type: 'openLog' }
  | { type: 'buildProfile'; model: string }
  | { type: 'openSettings' };

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/** Returns the message when it is a well-formed MonitorFromWebview, else undefined. */
export function parseMonitorMessage(raw: unknown): MonitorFromWebview | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as { type?: unknown; model?: unknown };
  switch (m.type) {
    case 'ready':
    case 'sendTestRequest':
    case 'openLog':
    case 'openSettings':
      return { type: m.type };
    case 'buildProfile':
      return typeof m.model === 'string' && MODEL_NAME.test(m.model) ? { type: 'buildProfile', model: m.model } : undefined;
    default:
      return undefined;
  }
}
