import { shellCommand, shellQuote } from './shellQuote';
import type { SlurmTarget } from './targetTypes';

/**
 * The files of a run on its host, under `<workdir>/<run-id>/`:
 *   code/      the recorded commit plus the dirty patch
 *   helper/    mlw_run.py (on PYTHONPATH) and mlw_mlflow_endpoint.py
 *   run/       the remote run folder (MLW_RUN_DIR): metrics.jsonl, logged.jsonl, stdout.log, artifacts/, .exit
 *   job.sh     what runs (bash), with #SBATCH lines for SLURM
 */
export const REMOTE_EXIT_FILE = '.exit';

export interface JobScriptInput {
  /** The command, interpreter first, run in code/<cwd>. */
  argv: string[];
  /** The working directory relative to code/ ('' for its top). */
  cwd: string;
  env: Record<string, string>;
  /** #SBATCH lines (without the prefix), for SLURM. */
  sbatch?: string[];
}

/** The job script. Its folder is `$SLURM_SUBMIT_DIR` under SLURM, else the current directory (the launcher cds there). */
export function renderJobScript(input: JobScriptInput): string {
  const lines = ['#!/bin/bash'];
  for (const o of input.sbatch ?? []) lines.push(`#SBATCH ${o}`);
  lines.push(
    '# Written by ML Workbench: runs one tracked run and records its exit status in run/.exit.',
    'R="${SLURM_SUBMIT_DIR:-$PWD}"',
    'cd "$R" || exit 97',
    `if ! cd "$R/code"/${shellQuote(input.cwd || '.')}; then echo "mlw: the run's folder is missing on $(hostname)" >> "$R/run/stdout.log"; echo 97 > "$R/run/.exit"; exit 97; fi`,
    'export MLW_RUN_DIR="$R/run"',
    'export PYTHONPATH="$R/helper${PYTHONPATH:+:$PYTHONPATH}"',
  );
  for (const [k, v] of Object.entries(input.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`Not an environment variable name: ${k}`);
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push(...mlflowEndpointLines(shellQuote(input.argv[0]), '$R', '$R'));
  lines.push(
    `${shellCommand(input.argv)} >> "$R/run/stdout.log" 2>&1 < /dev/null`,
    'code=$?',
    stopMlflowEndpoint('$R'),
    `echo "$code" > "$R/run/${REMOTE_EXIT_FILE}.tmp" && mv "$R/run/${REMOTE_EXIT_FILE}.tmp" "$R/run/${REMOTE_EXIT_FILE}"`,
    'exit "$code"',
    '',
  );
  return lines.join('\n');
}

/** The #SBATCH options of a SLURM target for one run. */
export function sbatchOptions(target: SlurmTarget, jobName: string): string[] {
  const o = [`--job-name=${jobName}`, '--output=run/slurm-%j.out', '--open-mode=append'];
  if (target.partition) o.push(`--partition=${target.partition}`);
  if (target.account) o.push(`--account=${target.account}`);
  if (target.gpus !== undefined && target.gpus !== 0) o.push(`--gres=gpu:${target.gpus}`);
  if (target.cpus) o.push(`--cpus-per-task=${target.cpus}`);
  if (target.mem) o.push(`--mem=${target.mem}`);
  if (target.time) o.push(`--time=${target.time}`);
  o.push(...target.sbatch);
  return o;
}

/**
 * Starts helper/mlw_mlflow_endpoint.py on the node (127.0.0.1, an ephemeral port, a fresh token in
 * <folder>/mlflow-endpoint) and gives the script MLflow's variables, as local runs have them; it writes into
 * <folder>/run, so nothing depends on the link. Left out when the target's env sets MLFLOW_TRACKING_URI; a
 * failure to start is noted in run/stdout.log and the script runs without it. `python` is a shell word;
 * `folder` and `top` (where helper/ is) are shell variables such as `$R`.
 */
export function mlflowEndpointLines(python: string, folder: string, top: string): string[] {
  const E = `"${folder}/mlflow-endpoint"`;
  return [
    'if [ -z "${MLFLOW_TRACKING_URI+x}" ]; then',
    `  rm -f ${E}`,
    `  ${python} "${top}/helper/mlw_mlflow_endpoint.py" "${folder}/run" ${E} >> "${folder}/run/mlflow-endpoint.log" 2>&1 < /dev/null &`,
    '  MLW_MLFLOW_PID=$!',
    `  for _ in $(seq 200); do [ -s ${E} ] && break; kill -0 "$MLW_MLFLOW_PID" 2>/dev/null || break; sleep 0.05; done`,
    `  if [ -s ${E} ] && read -r MLW_MLFLOW_PORT MLFLOW_TRACKING_TOKEN MLFLOW_EXPERIMENT_ID < ${E}; then`,
    '    export MLFLOW_TRACKING_URI="http://127.0.0.1:$MLW_MLFLOW_PORT" MLFLOW_TRACKING_TOKEN MLFLOW_EXPERIMENT_ID',
    '    export MLFLOW_RUN_ID="$MLW_RUN_ID" MLFLOW_EXPERIMENT_NAME="$MLW_EXPERIMENT"',
    '  else',
    `    echo "mlw: the MLflow endpoint did not start on $(hostname) (see run/mlflow-endpoint.log); MLFLOW_* not set" >> "${folder}/run/stdout.log"`,
    '  fi',
    'fi',
  ];
}

/** After the script: the endpoint mlflowEndpointLines started, stopped (what it answered is on disk); its log kept if not empty. */
export function stopMlflowEndpoint(folder: string): string {
  return `if [ -n "\${MLW_MLFLOW_PID:-}" ]; then kill "$MLW_MLFLOW_PID" 2>/dev/null; wait "$MLW_MLFLOW_PID" 2>/dev/null; rm -f "${folder}/mlflow-endpoint"; [ -s "${folder}/run/mlflow-endpoint.log" ] || rm -f "${folder}/run/mlflow-endpoint.log"; fi`;
}
