/**
 * Multidirectional (numpy) broadcasting of shapes, with symbolic dims: a known size other than 1 wins, a
 * dimension that is 1 everywhere but one input takes that input's dim (`batch` stays `batch`), equal names stay.
 */
import { ShapeError } from './ShapeError';
import type { Dim, Shape } from './shapeTypes';

export function broadcastShapes(shapes: readonly Shape[]): Shape {
  let rank = 0;
  for (const s of shapes) {
    if (s === null) return null;
    if (s.length > rank) rank = s.length;
  }
  const out: Dim[] = new Array<Dim>(rank);
  for (let j = 0; j < rank; j++) {
    let value = 1;
    let ones = 0;
    let other: Dim | undefined;
    let sameName = true;
    for (const s of shapes as Dim[][]) {
      const k = j - (rank - s.length);
      if (k < 0) {
        ones++;
        continue;
      }
      const d = s[k];
      if (typeof d === 'number') {
        if (d === 1) ones++;
        else if (value !== 1 && value !== d) {
          throw new ShapeError(`shapes ${shapes.map(text).join(' and ')} do not broadcast (dim ${j}: ${value} vs ${d})`);
        } else value = d;
      } else {
        if (other === undefined) other = d;
        else if (other !== d || d === null) sameName = false;
      }
    }
    if (value !== 1 || ones === shapes.length) out[j] = value;
    else if (other !== undefined && sameName) out[j] = other;
    else out[j] = null;
  }
  return out;
}

export const text = (s: Shape): string => (s === null ? '[?]' : `[${s.map((d) => (d === null ? '?' : String(d))).join(',')}]`);
