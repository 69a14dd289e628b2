/** Small display helpers for the inspector. */
import type { InspectorDim, InspectorValue } from '../../src/shared/inspectorProtocol';

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `[batch, 3, 224, 224]`; `?` for unknown dims; `(rank unknown)` without a shape. */
export function formatShape(shape: InspectorDim[] | undefined): string {
  if (shape === undefined) return '(rank unknown)';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function formatValueType(v: InspectorValue): string {
  const text = v.shape !== undefined ? `${v.type} ${formatShape(v.shape)}` : v.type;
  return v.source ? `${text} (${v.source})` : text;
}

export function formatNumber(v: number | undefined): string {
  if (v === undefined) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : v.toPrecision(6);
}
