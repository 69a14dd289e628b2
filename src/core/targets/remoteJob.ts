import { shellCommand, shellQuote } from './shellQuote';
import type { SlurmTarget } from './targetTypes';

/**
 * The files of a run on its host, under `<workdir>/<run-id>/`:
 *   code/      the recorded commit plus the dirty patch
 *   helper/    mlw_run.py (on PYTHONPATH)
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
  lines.push(
    `${shellCommand(input.argv)} >> "$R/run/stdout.log" 2>&1 < /dev/null`,
    'code=$?',
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
