import { execFile } from 'node:child_process';
import { driverScript, studyPath, StudyError } from './StudyDriver';
import type { StudySummary } from './studyTypes';

export { bestSoFar, type StudySummary, type StudyTrialSummary } from './studyTypes';

/** Runs `mlw_optuna.py summary` on the study (a second or so: Optuna's import and fANOVA). */
export function readStudySummary(
  interpreter: string,
  workspace: string,
  study: string,
  options: { helperDir?: string; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<StudySummary> {
  const config = JSON.stringify({ storage: studyPath(workspace, study), study });
  return new Promise((resolve, reject) => {
    execFile(
      interpreter,
      [driverScript(options.helperDir), 'summary', config],
      { signal: options.signal, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        let reply: Record<string, unknown> | undefined;
        try {
          reply = JSON.parse(line) as Record<string, unknown>;
        } catch {
          reply = undefined;
        }
        if (reply && typeof reply.error === 'string') return reject(new StudyError(reply.error, String(reply.message ?? reply.error)));
        if (!reply || error)
          return reject(new StudyError('failed', `Reading study ${study} failed: ${(error?.message ?? stderr.trim()) || 'no reply'}`));
        resolve(reply as unknown as StudySummary);
      },
    );
  });
}
