import uPlot from 'uplot';
import { cssVar } from '../shared/dom';

const PALETTE: Array<[string, string]> = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-yellow', '#cca700'],
];

let resolved: string[] | undefined;

/** Color of curve i: the theme's chart colors first, then hues spread by the golden angle (no limit on runs). */
export function color(i: number): string {
  if (i < PALETTE.length) {
    resolved ??= PALETTE.map((p) => cssVar(...p));
    return resolved[i];
  }
  return `hsl(${Math.round((i * 137.508) % 360)}, 65%, 58%)`;
}

/** Forget resolved theme colors (the theme changed). */
export function resetColors(): void {
  resolved = undefined;
}

export interface ChartSeries {
  label: string;
  color: string;
  /** Drawn thin and translucent (the raw curve under a smoothed one). */
  faint?: boolean;
  show?: boolean;
}

export const CHART_HEIGHT = 220;

/** Above this many curves a chart has no legend table: the curve nearest the cursor is named in `readout` instead. */
const LEGEND_MAX = 12;

/** One uPlot chart: x = step (or what `xLabel` names, e.g. seconds); `log` puts y on a log10 scale. */
export function makeChart(
  target: HTMLElement,
  width: number,
  series: ChartSeries[],
  data: uPlot.AlignedData,
  log: boolean,
  readout?: HTMLElement,
  xLabel = 'step',
): uPlot {
  const fg = cssVar('--vscode-descriptionForeground', '#999');
  const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
  const axis: uPlot.Axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const many = series.length > LEGEND_MAX;
  const opts: uPlot.Options = {
    width: Math.max(200, width),
    height: CHART_HEIGHT,
    scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : {} },
    axes: [{ ...axis }, { ...axis, size: 64 }],
    legend: { show: !many, live: true },
    focus: { alpha: many ? 0.25 : 1 },
    cursor: { drag: { x: true, y: false }, points: { show: !many }, focus: { prox: many ? 24 : -1 } },
    series: [
      { label: xLabel },
      ...series.map((s): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        width: s.faint || many ? 1 : 1.75,
        alpha: s.faint ? 0.35 : 1,
        spanGaps: true,
        show: s.show ?? true,
        // uPlot's default shows the points of sparse curves (a metric logged once is a dot); never for big overlays.
        ...(many ? { points: { show: false } } : {}),
      })),
    ],
    hooks:
      readout && many
        ? {
            setSeries: [
              (u, idx) => {
                const i = u.cursor.idx;
                if (idx === null || idx === undefined || !u.series[idx]) {
                  readout.textContent = '';
                  return;
                }
                const v = i !== null && i !== undefined ? u.data[idx][i] : undefined;
                readout.textContent = `${u.series[idx].label}${v !== null && v !== undefined ? ` = ${Number(v.toPrecision(6))} at ${xLabel} ${Math.round(u.data[0][i as number])}` : ''}`;
              },
            ],
          }
        : {},
  };
  return new uPlot(opts, data, target);
}
