import type { PipelineStageView, PipelineView, StageViewState } from '../../shared/pipelineProtocol';
import type { PipelineStatus, StageStatus } from './pipelineStatus';
import type { Pipeline } from './pipelineTypes';
import { stageEdges } from './stageEdges';

/** What the pipeline view shows of a run in progress (or of the last one): stage activity and runs, by stage. */
export interface RunActivity {
  target: string | null;
  current?: string;
  activity: Map<string, NonNullable<PipelineStageView['activity']>>;
  runIds: Map<string, string>;
  lastError?: string;
  running: boolean;
}

/** A stage's state in the view: stale and recorded in no lock reads as never run. */
export function viewState(s: StageStatus): StageViewState {
  if (s.state === 'stale' && s.lockedBy === null) return 'never';
  return s.state;
}

const cmdText = (cmd: string | string[]): string => (typeof cmd === 'string' ? cmd : cmd.join(' && '));

/** The pipeline view's state from the pipeline, its status and the run from the view, if any. */
export function toPipelineView(
  p: Pipeline,
  status: PipelineStatus,
  o: { folder: string; runner: 'dvc' | 'mlw'; trusted: boolean; run?: RunActivity },
): PipelineView {
  const byName = new Map(p.stages.map((s) => [s.name, s]));
  const stages: PipelineStageView[] = status.stages.map((st) => {
    const s = byName.get(st.name);
    const activity = o.run?.activity.get(st.name);
    const runId = o.run?.runIds.get(st.name);
    return {
      name: st.name,
      ...(st.group ? { group: st.group } : {}),
      state: viewState(st),
      reasons: st.reasons,
      cmd: cmdText(st.cmd),
      deps: s?.deps ?? [],
      outs: (s?.outs ?? []).map((x) => ({ path: x.path, kind: x.kind })),
      ...(s?.desc ? { desc: s.desc } : {}),
      ...(activity ? { activity } : {}),
      ...(runId ? { runId } : {}),
    };
  });
  return {
    folder: o.folder,
    stages,
    edges: stageEdges(p),
    runner: o.runner,
    trusted: o.trusted,
    running: o.run?.running ? { target: o.run.target, ...(o.run.current ? { current: o.run.current } : {}) } : null,
    statusMs: Math.round(status.durationMs),
    ...(o.run?.lastError ? { lastError: o.run.lastError } : {}),
  };
}
