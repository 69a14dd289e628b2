import type { RunTargetState } from './targetTypes';

/** A remote run's state in a few words: `job 12 PENDING (Resources)`, `RUNNING on vm`, `gpubox unreachable since 14:02:11`. */
export function describeTargetState(s: RunTargetState): string {
  if (s.unreachableSince) return `${s.host} unreachable since ${new Date(s.unreachableSince).toLocaleTimeString()}`;
  const job = s.kind === 'slurm' && s.jobId ? `job ${s.jobId} ` : '';
  return `${s.name}: ${job}${s.state ?? '?'}${s.reason ? ` (${s.reason})` : ''}${s.node ? ` on ${s.node}` : ''}`;
}
