/**
 * Messages between the extension and the pipeline webview (the stage graph of dvc.yaml). Both bundles compile it,
 * so it imports nothing. Handshake: the webview posts `ready`, the extension answers with `state`, and sends `state`
 * again whenever the status changes (a file changed, a stage started or ended). Messages from the webview are
 * untrusted: `parsePipelineMessage` validates them, and the host checks a stage name against the pipeline's.
 */

/** `never`: stale and recorded in no lock (neither dvc.lock nor ML Workbench's own): the stage has never run. */
export type StageViewState = 'fresh' | 'stale' | 'never' | 'frozen';

export interface PipelineStageView {
  name: string;
  /** The dvc.yaml entry a foreach/matrix stage was expanded from. */
  group?: string;
  state: StageViewState;
  /** Why it is stale, one short line each, as pipelineStatus says. */
  reasons: string[];
  cmd: string;
  deps: string[];
  outs: { path: string; kind: 'out' | 'metric' | 'plot' }[];
  desc?: string;
  /** During a run: this stage runs now, waits its turn, or failed. */
  activity?: 'running' | 'queued' | 'failed';
  /** The tracked run of the stage in the current (or last) run from this view. */
  runId?: string;
}

export interface PipelineEdgeView {
  from: string;
  to: string;
  /** The files the edge carries (an out of `from` that `to` depends on). */
  paths: string[];
}

export interface PipelineView {
  /** The workspace folder's name, for the title. */
  folder: string;
  stages: PipelineStageView[];
  edges: PipelineEdgeView[];
  /** dvc.yaml could not be read: the one-line reason (the graph is then empty). */
  error?: string;
  /** Who runs the stages: `dvc repro` when DVC is installed, else ML Workbench itself. */
  runner: 'dvc' | 'mlw';
  /** Running needs a trusted workspace. */
  trusted: boolean;
  running: { target: string | null; current?: string } | null;
  /** How long the last status took, ms. */
  statusMs: number;
  /** The last run's one-line failure, if it failed. */
  lastError?: string;
}

export type PipelineToWebview = { type: 'state'; view: PipelineView };

export type PipelineFromWebview =
  | { type: 'ready' }
  | { type: 'run'; stage?: string }
  | { type: 'cancel' }
  | { type: 'openFile'; path: string }
  | { type: 'openRun'; runId: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A stage name as dvc.lock spells it (`train`, `train@cnn-f1`): printable, no path separators' tricks needed here. */
const isStageName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200 && /^[^\s/\\]+$/.test(v);
/** A path relative to the pipeline's folder: no absolute paths, no `..` segments. */
const isRelPath = (v: unknown): v is string =>
  typeof v === 'string' &&
  v.length > 0 &&
  v.length <= 1000 &&
  !/^([/\\]|[A-Za-z]:)/.test(v) &&
  !v.split(/[/\\]/).includes('..') &&
  !v.includes('\0');
const isRunId = (v: unknown): v is string => typeof v === 'string' && /^[\w.-]{1,100}$/.test(v);

/** Returns the message when it is a well-formed PipelineFromWebview, else undefined. */
export function parsePipelineMessage(raw: unknown): PipelineFromWebview | undefined {
  if (!isObj(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'cancel':
      return { type: raw.type };
    case 'run':
      if (raw.stage === undefined) return { type: 'run' };
      return isStageName(raw.stage) ? { type: 'run', stage: raw.stage } : undefined;
    case 'openFile':
      return isRelPath(raw.path) ? { type: 'openFile', path: raw.path } : undefined;
    case 'openRun':
      return isRunId(raw.runId) ? { type: 'openRun', runId: raw.runId } : undefined;
    default:
      return undefined;
  }
}
