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

export type MonitorToWebview =
  | { type: 'init'; title: string; url: string; points: MonitorPoint[]; status: MonitorStatus }
  | { type: 'point'; point: MonitorPoint }
  | { type: 'status'; status: MonitorStatus; message?: string };

export type MonitorFromWebview = { type: 'ready' } | { type: 'sendTestRequest' } | { type: 'openLog' };

/** Returns the message when it is a well-formed MonitorFromWebview, else undefined. */
export function parseMonitorMessage(raw: unknown): MonitorFromWebview | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const type = (raw as { type?: unknown }).type;
  return type === 'ready' || type === 'sendTestRequest' || type === 'openLog' ? { type } : undefined;
}
