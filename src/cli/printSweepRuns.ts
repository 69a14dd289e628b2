import * as path from 'node:path';
import type { CliContext } from './cliCommand';
import { paramToString } from '../core/runs/buildChildCommand';
import { formatDuration, formatMetric, textTable } from '../core/runs/formatRun';
import type { Run } from '../core/runs/runTypes';

/** The end of a grid or random sweep: its runs as JSON (--json), else a table of params and final metrics. */
export function printSweepRuns(runs: Run[], ctx: CliContext): void {
  if (ctx.json) {
    ctx.out(JSON.stringify(runs, null, 2));
    return;
  }
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params ?? {})))];
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics ?? {})))].sort();
  ctx.out(
    textTable(
      ['RUN', 'STATUS', 'DURATION', ...paramKeys, ...metricKeys],
      runs.map((r) => [
        r.id,
        r.status,
        formatDuration(r.durationMs),
        ...paramKeys.map((k) => (r.params && k in r.params ? paramToString(r.params[k]) : '')),
        ...metricKeys.map((k) => (r.metrics?.[k] ? formatMetric(r.metrics[k].last) : '')),
      ]),
    ),
  );
  ctx.err(`mlw: ${runs.filter((r) => r.status === 'finished').length}/${runs.length} runs finished -> ${path.join('.mlw', 'runs')}`);
}
