import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { findUpwards } from '../findUpwards';
import type { Params, ParamValue } from './runTypes';

/** How launch params reach the script: as arguments, as environment variables, or both. */
export type ParamsMode = 'args' | 'env' | 'both';
/** `--lr=0.1` (argparse, click, typer) or `lr=0.1` (Hydra). */
export type ParamArgStyle = 'flags' | 'hydra';

export function paramToString(v: ParamValue): string {
  return v === null ? 'null' : String(v);
}

/** `--key=value` (or `key=value`) for each param, in insertion order. */
export function paramArgs(params: Params, style: ParamArgStyle = 'flags'): string[] {
  return Object.entries(params).map(([k, v]) => (style === 'hydra' ? `${k}=${paramToString(v)}` : `--${k}=${paramToString(v)}`));
}

/** `MLW_PARAM_<KEY>` with the key upper-cased and anything but letters and digits turned into `_`. */
export function paramEnvName(key: string): string {
  return `MLW_PARAM_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** A Jupyter notebook (`.ipynb`): run headless by the notebook driver, with params injected papermill-style. */
export function isNotebook(file: string): boolean {
  return /\.ipynb$/i.test(file);
}

/** The notebook driver, beside `mlw_run.py` in the helper folder: `<interpreter> mlw_notebook.py <notebook>`. */
export const NOTEBOOK_DRIVER = 'mlw_notebook.py';

let cachedHelperDir: string | null | undefined;

/**
 * The folder holding `mlw_run.py`: the repository's / extension's `python/` folder, found by
 * walking up from this file (out/src/core/runs in tests, dist/ in the bundle).
 */
export function defaultHelperDir(): string | undefined {
  if (cachedHelperDir === undefined) {
    const dir = findUpwards(__dirname, (d) => existsSync(path.join(d, 'python', 'mlw_run.py')), 5);
    cachedHelperDir = dir ? path.join(dir, 'python') : null;
  }
  return cachedHelperDir ?? undefined;
}

export interface ChildEnvInput {
  base: NodeJS.ProcessEnv;
  /** Variables to add; `undefined` removes one. */
  extra?: Record<string, string | undefined>;
  runId: string;
  runDir: string;
  experiment: string;
  name: string;
  params: Params;
  paramsMode: ParamsMode;
  helperDir?: string;
}

/**
 * The child's environment: the base plus the caller's additions, then what the helper needs.
 *   MLW_RUN_DIR, MLW_RUN_ID, MLW_EXPERIMENT, MLW_RUN_NAME  where and what to log
 *   MLW_PARAMS                                            all launch params as one JSON object
 *   MLW_PARAM_<KEY>                                       each param (paramsMode env or both)
 *   PYTHONPATH                                            the helper's folder first
 *   PYTHONUNBUFFERED=1                                    so output reaches its file (and the Runs view) as it is printed
 */
export function buildChildEnv(input: ChildEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...input.base };
  for (const [k, v] of Object.entries(input.extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  env.MLW_RUN_DIR = input.runDir;
  env.MLW_RUN_ID = input.runId;
  env.MLW_EXPERIMENT = input.experiment;
  env.MLW_RUN_NAME = input.name;
  env.MLW_PARAMS = JSON.stringify(input.params);
  if (input.paramsMode !== 'args') for (const [k, v] of Object.entries(input.params)) env[paramEnvName(k)] = paramToString(v);
  if (input.helperDir) env.PYTHONPATH = env.PYTHONPATH ? `${input.helperDir}${path.delimiter}${env.PYTHONPATH}` : input.helperDir;
  if (env.PYTHONUNBUFFERED === undefined) env.PYTHONUNBUFFERED = '1';
  return env;
}
