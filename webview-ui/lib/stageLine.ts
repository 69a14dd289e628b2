import type { PipelineStageView } from '../../src/shared/pipelineProtocol';

const STATE_TEXT: Record<PipelineStageView['state'], string> = { fresh: 'fresh', stale: 'stale', never: 'never run', frozen: 'frozen' };

/** The short line under a stage's name in the pipeline view: its activity, or its state with the first reason. */
export function stageLine(s: Pick<PipelineStageView, 'state' | 'reasons' | 'activity'>): string {
  if (s.activity === 'running') return 'running…';
  if (s.activity === 'queued') return 'queued';
  if (s.activity === 'failed') return 'failed';
  if (s.state === 'stale') return s.reasons.length ? `stale: ${s.reasons[0]}` : 'stale';
  return STATE_TEXT[s.state];
}
