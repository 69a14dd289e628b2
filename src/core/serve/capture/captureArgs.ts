/**
 * The capture and drift-state options of `mlw serve`, and the environment variables that turn capture on in a
 * container (MLW_CAPTURE=RATE, MLW_CAPTURE_DIR, MLW_CAPTURE_MAX_MB, MLW_CAPTURE_ROTATE_MB; a flag wins over its variable).
 */
import * as path from 'node:path';
import type { CaptureConfig } from './modelCapture';

export const CAPTURE_DIR = path.join('.mlw', 'captures');
export const DRIFT_STATE_DIR = path.join('.mlw', 'drift');
export const CAPTURE_DEFAULTS = { maxMb: 1024, rotateMb: 64 };

export const CAPTURE_OPTIONS = {
  capture: { type: 'string' },
  'capture-dir': { type: 'string' },
  'capture-max-mb': { type: 'string' },
  'capture-rotate-mb': { type: 'string' },
  'drift-dir': { type: 'string' },
} as const;

export const CAPTURE_USAGE = `  --capture RATE          capture this fraction of requests (e.g. 0.1) with their predictions, as .npy chunks
                          and a .jsonl index in <capture-dir>/<model>/ (default off; env MLW_CAPTURE)
  --capture-dir DIR       default ${CAPTURE_DIR} (env MLW_CAPTURE_DIR)
  --capture-max-mb N      stop capturing when a model's folder holds N MB (default ${CAPTURE_DEFAULTS.maxMb})
  --capture-rotate-mb N   start a new chunk every N MB (default ${CAPTURE_DEFAULTS.rotateMb})`;

export const DRIFT_DIR_USAGE = `  --drift-dir DIR|off     where each model with a reference writes its drift state <model>.json for the
                          registry's no_drift gate (default ${DRIFT_STATE_DIR})`;

type Values = Partial<Record<keyof typeof CAPTURE_OPTIONS, string>>;

function megabytes(text: string, name: string, fail: (m: string) => never): number {
  const n = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(n) && n > 0)) fail(`--${name} must be a number of megabytes > 0, got "${text}"`);
  return Math.round(n * 2 ** 20);
}

/** The capture configuration, or undefined when capture is off. `fail` throws the usage error. */
export function captureArgs(values: Values, cwd: string, env: NodeJS.ProcessEnv, fail: (m: string) => never): CaptureConfig | undefined {
  const rateText = values.capture ?? env.MLW_CAPTURE;
  const dir = values['capture-dir'] ?? env.MLW_CAPTURE_DIR;
  const maxText = values['capture-max-mb'] ?? env.MLW_CAPTURE_MAX_MB;
  const rotateText = values['capture-rotate-mb'] ?? env.MLW_CAPTURE_ROTATE_MB;
  if (rateText === undefined || rateText === '') {
    const stray = (['capture-dir', 'capture-max-mb', 'capture-rotate-mb'] as const).find((k) => values[k] !== undefined);
    if (stray) fail(`--${stray} needs --capture RATE (e.g. --capture 0.1)`);
    return undefined;
  }
  const rate = Number(rateText);
  if (!(rateText.trim() !== '' && rate >= 0 && rate <= 1))
    fail(`--capture must be a fraction of requests in [0, 1], e.g. 0.1 for 10 %, got "${rateText}"`);
  if (rate === 0) return undefined;
  return {
    rate,
    dir: path.resolve(cwd, dir ?? CAPTURE_DIR),
    maxBytes: megabytes(maxText ?? String(CAPTURE_DEFAULTS.maxMb), 'capture-max-mb', fail),
    rotateBytes: megabytes(rotateText ?? String(CAPTURE_DEFAULTS.rotateMb), 'capture-rotate-mb', fail),
  };
}

/**
 * The drift state folder, or undefined for --drift-dir off. In a containerized model's image (MLW_MODEL is set)
 * nothing is written unless --drift-dir or MLW_DRIFT_DIR names a folder (deploy local mounts one).
 */
export function driftDirArg(values: Values, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const v = values['drift-dir'] ?? env.MLW_DRIFT_DIR;
  if (v === 'off' || (v === undefined && env.MLW_MODEL !== undefined)) return undefined;
  return path.resolve(cwd, v ?? DRIFT_STATE_DIR);
}
