import { mlflowEndpointLines, REMOTE_EXIT_FILE, stopMlflowEndpoint } from './remoteJob';
import { shellCommand, shellQuote } from './shellQuote';

/**
 * A sweep as one SLURM job array: one folder `<workdir>/<sweep-id>/` on the host, uploaded once:
 *   code/        the recorded commit plus the dirty patch (shared, read-only for the tasks)
 *   helper/      mlw_run.py
 *   array.sh     the job script, submitted once with `sbatch --array=0-(N-1)%P`
 *   params.txt   line i+1: trial i's environment and command, as shell words
 *   t<i>/run/    trial i's run folder (MLW_RUN_DIR), made before submission so SLURM can open its output file
 * Task i copies code/ to t<i>/code/ (its outputs stay its own), so `t<i>/` has the layout of a single remote run's
 * folder and each trial is followed, stopped and synced back like one (its job id `ARRAYID_i`).
 */
export const ARRAY_SCRIPT = 'array.sh';
export const ARRAY_PARAMS_FILE = 'params.txt';

/** The folder of trial `index` inside the sweep's folder. */
export function arrayTaskDir(index: number): string {
  return `t${index}`;
}

export interface ArrayTask {
  /** The trial's own environment (MLW_RUN_ID, MLW_PARAMS…). */
  env: Record<string, string>;
  /** Its command, interpreter first. */
  argv: string[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** params.txt: one line per task, `NAME=VALUE … -- ARGV…`, every word quoted. */
export function renderArrayParams(tasks: readonly ArrayTask[]): string {
  return tasks
    .map((t, i) => {
      const words = [...Object.entries(t.env).map(([k, v]) => `${k}=${v}`), '--', ...t.argv];
      for (const w of words)
        if (w.includes('\n')) throw new Error(`Trial ${i}: a parameter or argument holds a line break: ${JSON.stringify(w)}`);
      for (const k of Object.keys(t.env)) if (!ENV_NAME.test(k)) throw new Error(`Not an environment variable name: ${k}`);
      return `${shellCommand(words)}\n`;
    })
    .join('');
}

export interface ArrayScriptInput {
  /** The working directory relative to code/ ('' for its top). */
  cwd: string;
  /** What every task shares (the target's env). */
  env: Record<string, string>;
  /** #SBATCH lines (without the prefix); `--array` goes on the sbatch command line. */
  sbatch: string[];
}

/** The job script every task of the array runs; its folder is `$SLURM_SUBMIT_DIR`. */
export function renderArrayJobScript(input: ArrayScriptInput): string {
  const lines = ['#!/bin/bash'];
  for (const o of input.sbatch) lines.push(`#SBATCH ${o}`);
  const exit = (code: string) =>
    `echo ${code} > "$T/run/${REMOTE_EXIT_FILE}.tmp" && mv "$T/run/${REMOTE_EXIT_FILE}.tmp" "$T/run/${REMOTE_EXIT_FILE}"`;
  const fail = (why: string) => `{ echo "mlw: ${why} on $(hostname)" >> "$T/run/stdout.log"; ${exit('97')}; exit 97; }`;
  lines.push(
    '# Written by ML Workbench: task $SLURM_ARRAY_TASK_ID of a sweep runs trial t$SLURM_ARRAY_TASK_ID (its params on that',
    `# line of ${ARRAY_PARAMS_FILE}) in its own folder and records its exit status in t<i>/run/${REMOTE_EXIT_FILE}.`,
    'R="${SLURM_SUBMIT_DIR:-$PWD}"',
    'cd "$R" || exit 97',
    'i="${SLURM_ARRAY_TASK_ID:?not a task of a job array}"',
    'T="$R/t$i"',
    'mkdir -p "$T/run" || exit 97',
    `line=$(sed -n "$((i + 1))p" "$R/${ARRAY_PARAMS_FILE}")`,
    `[ -n "$line" ] || ${fail('no params for this task')}`,
    `if [ ! -d "$T/code" ]; then rm -rf "$T/code.tmp"; cp -a "$R/code" "$T/code.tmp" && mv "$T/code.tmp" "$T/code" || ${fail("copying the run's code failed")}; fi`,
    // What the trial writes after this link is an output of the trial (attachRemoteRun looks for files newer than job.sh).
    `ln -sfn ../${ARRAY_SCRIPT} "$T/job.sh"`,
    `cd "$T/code"/${shellQuote(input.cwd || '.')} || ${fail("the run's folder is missing")}`,
    'export MLW_RUN_DIR="$T/run"',
    'export PYTHONPATH="$R/helper${PYTHONPATH:+:$PYTHONPATH}"',
  );
  for (const [k, v] of Object.entries(input.env)) {
    if (!ENV_NAME.test(k)) throw new Error(`Not an environment variable name: ${k}`);
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push(
    '# The line was written by ML Workbench with every word quoted: NAME=VALUE… -- ARGV…',
    'eval "set -- $line"',
    'while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do export "$1"; shift; done',
    'shift',
    ...mlflowEndpointLines('"$1"', '$T', '$R'),
    '"$@" >> "$T/run/stdout.log" 2>&1 < /dev/null',
    'code=$?',
    stopMlflowEndpoint('$T'),
    exit('"$code"'),
    'exit "$code"',
    '',
  );
  return lines.join('\n');
}
