/** A SLURM job as `scontrol show job -o ID` tells it. */
export interface SlurmJobState {
  state: string;
  reason?: string;
  node?: string;
  /** ExitCode=N:S: the script's exit code and the signal that ended it. */
  exitCode?: number;
  exitSignal?: number;
}

/** Job states after which the job will not run again. */
const ENDED = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
]);

export function slurmStateEnded(state: string): boolean {
  return ENDED.has(state);
}

/** Parses one line of `scontrol show job -o` (key=value words); undefined when it names no job. */
export function parseScontrolJob(text: string): SlurmJobState | undefined {
  const line = text.split('\n').find((l) => /\bJobState=/.test(l));
  if (!line) return undefined;
  const field = (k: string): string | undefined => {
    const m = new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line);
    return m && m[1] !== '(null)' && m[1] !== '' ? m[1] : undefined;
  };
  const state = (field('JobState') ?? 'UNKNOWN').split('+')[0];
  const out: SlurmJobState = { state };
  const reason = field('Reason');
  if (reason && reason !== 'None') out.reason = reason;
  const node = field('BatchHost') ?? field('NodeList');
  if (node) out.node = node;
  const ec = /^(\d+):(\d+)$/.exec(field('ExitCode') ?? '');
  if (ec) {
    out.exitCode = Number(ec[1]);
    out.exitSignal = Number(ec[2]);
  }
  return out;
}

/** Why an ended job did not finish, in words for run.error; undefined for COMPLETED and FAILED (their exit code says it). */
export function slurmEndReason(job: SlurmJobState): string | undefined {
  const on = job.node ? ` on ${job.node}` : '';
  switch (job.state) {
    case 'TIMEOUT':
      return `SLURM: the job hit its time limit (TIMEOUT${job.reason ? `, ${job.reason}` : ''})${on}`;
    case 'NODE_FAIL':
      return `SLURM: the job's node failed (NODE_FAIL)${on}`;
    case 'OUT_OF_MEMORY':
      return `SLURM: the job ran out of memory (OUT_OF_MEMORY)${on}`;
    case 'PREEMPTED':
      return `SLURM: the job was preempted${on}`;
    case 'BOOT_FAIL':
      return `SLURM: the job's node failed to boot (BOOT_FAIL)${on}`;
    case 'DEADLINE':
      return 'SLURM: the job missed its deadline (DEADLINE)';
    case 'CANCELLED':
      return `SLURM: the job was cancelled${job.reason && job.reason !== 'None' ? ` (${job.reason})` : ''}`;
    default:
      return undefined;
  }
}
