import { logTicks, niceTicks, prefersLog } from '../lib/niceTicks';
import { cssVar } from '../shared/dom';

/** Colors and font of the canvas views, read from the VS Code theme's CSS variables. */
export interface CanvasTheme {
  fg: string;
  muted: string;
  grid: string;
  focus: string;
  font: string;
}

export function canvasTheme(): CanvasTheme {
  const family = cssVar('--vscode-font-family', 'system-ui, sans-serif');
  return {
    fg: cssVar('--vscode-foreground', '#ccc'),
    muted: cssVar('--vscode-descriptionForeground', '#999'),
    grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)'),
    focus: cssVar('--vscode-focusBorder', '#007fd4'),
    font: `11px ${family}`,
  };
}

/** Linear map from a data range to pixels; a zero-width range is widened so points sit in the middle. */
export function linear(d0: number, d1: number, p0: number, p1: number): (v: number) => number {
  if (!(d1 > d0)) {
    const pad = d0 === 0 ? 1 : Math.abs(d0) * 0.1;
    d0 -= pad;
    d1 += pad;
  }
  const k = (p1 - p0) / (d1 - d0);
  return (v) => p0 + (v - d0) * k;
}

/** Range of the finite numbers, padded by 5 % so points do not sit on the frame. */
export function paddedExtent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(lo) * 0.1 || 1;
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

/** A data axis mapped to pixels: linear, or log10 when the values ask for it (see prefersLog). */
export interface Axis {
  map: (v: number) => number;
  ticks: number[];
  log: boolean;
  lo: number;
  hi: number;
}

export function makeAxis(values: number[], p0: number, p1: number, opts: { pad: boolean; tickCount: number }): Axis {
  const finite = values.filter(Number.isFinite);
  const log = prefersLog(finite);
  if (log) {
    let lo = Math.log10(Math.min(...finite));
    let hi = Math.log10(Math.max(...finite));
    if (opts.pad) {
      const pad = (hi - lo) * 0.05;
      lo -= pad;
      hi += pad;
    }
    const m = linear(lo, hi, p0, p1);
    return { map: (v) => m(Math.log10(v)), ticks: logTicks(10 ** lo, 10 ** hi), log, lo: 10 ** lo, hi: 10 ** hi };
  }
  const [lo, hi] = opts.pad ? paddedExtent(finite) : finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
  return { map: linear(lo, hi, p0, p1), ticks: niceTicks(lo, hi, opts.tickCount), log, lo, hi };
}

/**
 * Keyboard selection in a canvas view of `count` items: the index selected after `key` (arrows step and wrap
 * around, Escape clears to -1; with `ends`, Home and End jump to the first and last), or undefined for a key the
 * selection does not take.
 */
export function nextSelection(key: string, selected: number, count: number, ends = false): number | undefined {
  if (key === 'ArrowRight' || key === 'ArrowDown') return (selected + 1) % count;
  if (key === 'ArrowLeft' || key === 'ArrowUp') return selected <= 0 ? count - 1 : selected - 1;
  if (key === 'Escape') return -1;
  if (ends && key === 'Home') return 0;
  if (ends && key === 'End') return count - 1;
  return undefined;
}
