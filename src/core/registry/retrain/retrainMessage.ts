import type { RetrainOutcome } from './retrainOnCaptures';

const two = (x: number | undefined) => (x === undefined ? '?' : x.toFixed(2));

/**
 * The one-line outcome the extension shows: `clf v2 registered as challenger: accuracy 0.98 vs champion v1 0.80 on
 * the same 170 held-out captured rows.`
 */
export function retrainMessage(o: Pick<RetrainOutcome, 'name' | 'candidate' | 'champion' | 'rows'>): string {
  return `${o.name} v${o.candidate.version} registered as challenger: accuracy ${two(o.candidate.metrics.accuracy)} vs champion v${o.champion.version} ${two(o.champion.metrics.accuracy)} on the same ${o.rows.holdout} held-out captured rows.`;
}
