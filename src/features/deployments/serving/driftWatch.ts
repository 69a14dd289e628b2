import * as vscode from 'vscode';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import type { Logger } from '../../../core/logger';
import { DEFAULT_DRIFT_THRESHOLD, driftedFeatures, driftWarning, parseModelDrift } from '../../../core/serve/driftReport';
import type { ModelDrift } from '../../../shared/serveProtocol';
import { SECTION } from '../../../vscode/config';

export const DRIFT_THRESHOLD_SETTING = 'serve.driftThreshold';
const WATCH_MS = 5_000;
const FETCH_TIMEOUT_MS = 3_000;

/** A server drift is watched on: `key` is its identity ("local:3", "container:<id>"). */
export interface DriftTarget {
  key: string;
  label: string;
  /** The file a served model was loaded from, when known: Retrain on Recent Data finds its registered model by sha256. */
  file?: (model: string) => string | undefined;
}

export const RETRAIN_BUTTON = 'Retrain on Recent Data';

export function driftThreshold(): number {
  const v = vscode.workspace.getConfiguration(SECTION).get<number>(DRIFT_THRESHOLD_SETTING, DEFAULT_DRIFT_THRESHOLD);
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : DEFAULT_DRIFT_THRESHOLD;
}

/** Reads /stats of each model; `unavailable` when the server does not speak our stats extension. */
export async function fetchDrift(url: string, models: readonly string[]): Promise<{ models: ModelDrift[]; unavailable?: string }> {
  const out: ModelDrift[] = [];
  for (const model of models) {
    const res = await fetch(`${url}/v2/models/${encodeURIComponent(model)}/stats`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (res.status === 404)
      return {
        models: out,
        unavailable: `GET /v2/models/${model}/stats answered 404: this server does not offer the mlw_model_stats extension (ML Workbench's server does)`,
      };
    if (!res.ok) throw new Error(`/stats of ${model}: HTTP ${res.status}`);
    out.push(parseModelDrift(model, await res.json()));
  }
  return { models: out };
}

/**
 * The one-time drift warning per server and model, shown whether or not a monitor is open. Each watched
 * server is polled every 5 s until no model is left that could warn (none has a reference profile, or each
 * has warned) or the server is gone; a monitor panel that polls the server itself pauses the watch.
 * Owned by the local servers; disposing it stops every timer.
 */
export class DriftWatch implements vscode.Disposable {
  private readonly warned = new Set<string>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; url: string }>();
  private readonly claimed = new Set<string>();

  constructor(private readonly logger: Pick<Logger, 'warn'>) {}

  /** Watches `url` while `alive()` holds; a call for a key already watched at another URL (a restart) replaces that watch. */
  watch(target: DriftTarget, url: string, models: readonly string[], alive: () => boolean, open: () => unknown): void {
    if (this.timers.get(target.key)?.url === url) return;
    this.stop(target.key);
    let pending = [...models];
    const timer = setInterval(() => {
      if (!alive() || pending.length === 0) {
        this.stop(target.key);
        return;
      }
      if (this.claimed.has(target.key)) return;
      fetchDrift(url, pending)
        .then((d) => {
          if (d.unavailable) pending = [];
          this.warn(target, d.models, driftThreshold(), open);
          const left = new Set(d.models.filter((m) => m.reference && !this.warned.has(warnKey(target, m.model))).map((m) => m.model));
          pending = pending.filter((m) => left.has(m));
        })
        .catch(() => undefined);
    }, WATCH_MS);
    timer.unref?.();
    this.timers.set(target.key, { timer, url });
  }

  /** A monitor panel polls this server itself while it is open: the watch skips it meanwhile. */
  claim(key: string): vscode.Disposable {
    this.claimed.add(key);
    return { dispose: () => this.claimed.delete(key) };
  }

  /**
   * Shows the drift warning once per target and model; "Open Monitor" runs `open`, "Retrain on Recent Data" retrains
   * the registered model it serves on its captured requests.
   */
  warn(target: DriftTarget, drift: readonly ModelDrift[], threshold: number, open: () => unknown): void {
    for (const m of drift) {
      const id = warnKey(target, m.model);
      if (this.warned.has(id)) continue;
      const drifted = driftedFeatures(m, threshold);
      if (drifted.length === 0) continue;
      this.warned.add(id);
      const text = driftWarning(m.model, drifted, threshold);
      this.logger.warn(`${target.label}: ${text}`);
      void vscode.window.showWarningMessage(text, 'Open Monitor', RETRAIN_BUTTON).then((choice) => {
        if (choice === 'Open Monitor') return open();
        if (choice === RETRAIN_BUTTON) return runCommand(Command.retrainOnRecentData, { served: m.model, file: target.file?.(m.model) });
        return undefined;
      });
    }
  }

  private stop(key: string): void {
    clearInterval(this.timers.get(key)?.timer);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const key of [...this.timers.keys()]) this.stop(key);
  }
}

function warnKey(target: DriftTarget, model: string): string {
  return `${target.key}\u0000${model}`;
}
