import { RUN_STATUSES, type Run } from './runTypes';

/** A complete Run from the fields given; everything else gets its empty default. */
export function makeRun(fields: Partial<Run> & Pick<Run, 'id'>): Run {
  const { id, ...rest } = fields;
  return {
    schema: 1,
    id,
    source: 'mlw',
    name: id,
    experiment: 'Default',
    command: [],
    interpreter: null,
    cwd: '',
    params: {},
    status: 'queued',
    exitCode: null,
    signal: null,
    pid: null,
    startTime: null,
    endTime: null,
    durationMs: null,
    git: null,
    dataInputs: [],
    artifacts: [],
    tags: {},
    notes: '',
    ...rest,
  };
}

/**
 * Checks that parsed JSON looks like a run and fills fields an older or hand-written run.json
 * lacks. Returns undefined for anything that is not a run.
 */
export function normalizeRun(value: unknown): Run | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Partial<Run>;
  if (typeof o.id !== 'string' || !RUN_STATUSES.includes(o.status as Run['status'])) return undefined;
  const run = makeRun(o as Partial<Run> & Pick<Run, 'id'>);
  if (!Array.isArray(run.command)) run.command = [];
  if (typeof run.params !== 'object' || run.params === null) run.params = {};
  if (typeof run.tags !== 'object' || run.tags === null) run.tags = {};
  if (!Array.isArray(run.artifacts)) run.artifacts = [];
  if (!Array.isArray(run.dataInputs)) run.dataInputs = [];
  if (run.metrics && typeof run.metrics === 'object') {
    // JSON has no NaN: a NaN min/max/last was stored as null.
    for (const m of Object.values(run.metrics)) {
      for (const k of ['last', 'step', 'min', 'max'] as const) if (typeof m[k] !== 'number') m[k] = NaN;
    }
  } else delete run.metrics;
  return run;
}
