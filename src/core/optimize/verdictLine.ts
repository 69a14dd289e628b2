/** The one-line verdict of a variant against its original, e.g. "ort-extended: 1.0× size, 1.2× faster p50, cosine 1.000000". */
import type { Agreement } from './outputAgreement';
import type { ClassificationMetrics } from './classificationMetrics';

export interface VerdictInput {
  recipe: string;
  original: { fileSize: number; p50Ms: number; classification?: ClassificationMetrics };
  variant: { fileSize: number; p50Ms: number; classification?: ClassificationMetrics };
  agreement: Pick<Agreement, 'cosine' | 'top1'>;
}

export function verdictLine({ recipe, original, variant, agreement }: VerdictInput): string {
  const parts: string[] = [];
  const smaller = original.fileSize / variant.fileSize;
  if (smaller >= 1.05) parts.push(`${smaller.toFixed(1)}× smaller`);
  else if (smaller <= 1 / 1.05) parts.push(`${(1 / smaller).toFixed(1)}× larger`);
  else parts.push('1.0× size');
  const faster = original.p50Ms / variant.p50Ms;
  if (faster >= 1) parts.push(`${faster.toFixed(1)}× faster p50`);
  else parts.push(`${(1 / faster).toFixed(1)}× slower p50`);
  parts.push(`cosine ${agreement.cosine.toFixed(6)}`);
  if (agreement.top1 !== null) parts.push(`top-1 agreement ${(agreement.top1 * 100).toFixed(1)} %`);
  if (original.classification && variant.classification)
    parts.push(`accuracy ${original.classification.accuracy.toFixed(3)} → ${variant.classification.accuracy.toFixed(3)}`);
  return `${recipe}: ${parts.join(', ')}`;
}
