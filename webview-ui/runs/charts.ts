import uPlot from 'uplot';

/** x (steps, ascending, unique) and y of one curve; null where there is no finite value. */
export interface Curve {
  steps: number[];
  values: Array<number | null>;
}

/** Sorts points by step and keeps the last value logged at each step (uPlot needs ascending x). */
export function normalize(steps: ReadonlyArray<number | null>, values: ReadonlyArray<number | null>): Curve {
  const byStep = new Map<number, number | null>();
  let sorted = true;
  let prev = -Infinity;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s === null || !Number.isFinite(s)) continue;
    if (s <= prev) sorted = false;
    prev = Math.max(prev, s);
    const v = values[i];
    byStep.set(s, v !== null && Number.isFinite(v) ? v : null);
  }
  const xs = [...byStep.keys()];
  if (!sorted) xs.sort((a, b) => a - b);
  return { steps: xs, values: xs.map((s) => byStep.get(s) ?? null) };
}

/** Exponential moving average with TensorBoard's debiasing; weight 0 returns the values. */
export function smooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  if (weight <= 0) return values.slice();
  let acc = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null) return null;
    acc = acc * weight + (1 - weight) * v;
    n++;
    return acc / (1 - Math.pow(weight, n));
  });
}

/** Log scales cannot show zero or negative values. */
export const positiveOnly = (values: ReadonlyArray<number | null>): Array<number | null> => values.map((v) => (v !== null && v > 0 ? v : null));

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

const PALETTE: Array<[string, string]> = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-yellow', '#cca700'],
];

/** Color of curve i: the theme's chart colors first, then hues spread by the golden angle. */
export function color(i: number): string {
  if (i < PALETTE.length) return cssVar(...PALETTE[i]);
  return `hsl(${Math.round((i * 137.508) % 360)}, 65%, 58%)`;
}

export interface ChartSeries {
  label: string;
  color: string;
  /** Drawn thin and translucent (the raw curve under a smoothed one). */
  faint?: boolean;
}

export const CHART_HEIGHT = 220;

/** One uPlot chart: x = step; `log` puts y on a log10 scale. */
export function makeChart(target: HTMLElement, width: number, series: ChartSeries[], data: uPlot.AlignedData, log: boolean): uPlot {
  const fg = cssVar('--vscode-descriptionForeground', '#999');
  const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
  const axis: uPlot.Axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const opts: uPlot.Options = {
    width: Math.max(200, width),
    height: CHART_HEIGHT,
    scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : {} },
    axes: [{ ...axis }, { ...axis, size: 64 }],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    series: [
      { label: 'step' },
      ...series.map((s): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        width: s.faint ? 1 : 1.75,
        alpha: s.faint ? 0.35 : 1,
        spanGaps: true,
      })),
    ],
  };
  return new uPlot(opts, data, target);
}

/** Aligns curves that have different steps onto one x axis (null where a curve has no point). */
export function align(curves: Curve[]): uPlot.AlignedData {
  if (curves.length === 1) return [curves[0].steps, curves[0].values] as uPlot.AlignedData;
  return uPlot.join(curves.map((c) => [c.steps, c.values] as uPlot.AlignedData));
}
