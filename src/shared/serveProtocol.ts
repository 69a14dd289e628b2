/**
 * Messages between the extension and the model server monitor webview. Both the extension bundle and
 * the browser bundle compile it, so it imports types only, from src/core/serve files that import nothing.
 * Handshake as in protocol.ts: the webview posts `ready`, the extension answers with `init` (the history
 * so far), then one `point` per second.
 * The extension polls the server's /metrics; the webview never talks to the network (its CSP has no connect-src).
 */
import type { MonitorPoint } from '../core/serve/metricsText';
import type { ModelDrift } from '../core/serve/modelDrift';

/** One second of a server's traffic, as core computes it from two scrapes of /metrics. */
export type { MonitorPoint } from '../core/serve/metricsText';

export type MonitorStatus = 'live' | 'unreachable' | 'stopped';

/** A served model's drift and its feature rows, as core reads them from the server's /stats answer. */
export type { DriftFeatureRow, ModelDrift } from '../core/serve/modelDrift';

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
  | {
      type: 'init';
      title: string;
      url: string;
      points: MonitorPoint[];
      status: MonitorStatus;
      canSendTestRequest: boolean;
      canOpenLog: boolean;
    }
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
