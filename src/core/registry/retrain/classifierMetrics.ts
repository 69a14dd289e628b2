/**
 * Classifier metrics of a model's first output against labels: [N] or [N, 1] is the probability of class 1
 * (thresholded at 0.5; ROC-AUC too), [N, C] with C > 1 class scores (argmax). Pure.
 */
export function classifierMetrics(scores: ArrayLike<number>, dims: readonly number[], labels: ArrayLike<number>): Record<string, number> {
  const n = labels.length;
  const classes = dims.length >= 2 ? dims.slice(1).reduce((a, b) => a * b, 1) : 1;
  if (dims[0] !== n || scores.length !== n * classes)
    throw new Error(`the model's output has shape [${dims.join(', ')}], expected ${n} rows (one per label)`);
  let correct = 0;
  if (classes === 1) {
    for (let i = 0; i < n; i++) if ((scores[i] >= 0.5 ? 1 : 0) === Math.round(labels[i])) correct++;
    const out: Record<string, number> = { accuracy: correct / n, rows: n };
    const auc = rocAuc(scores, labels);
    if (auc !== undefined) out.roc_auc = auc;
    return out;
  }
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (scores[i * classes + j] > scores[i * classes + best]) best = j;
    if (best === Math.round(labels[i])) correct++;
  }
  return { accuracy: correct / n, rows: n };
}

/** ROC-AUC by ranks (Mann-Whitney U, ties averaged); undefined when only one class is present. */
function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | undefined {
  const idx = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(idx.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0;
  let sum = 0;
  for (let i = 0; i < labels.length; i++)
    if (Math.round(labels[i]) === 1) {
      pos++;
      sum += ranks[i];
    }
  const neg = labels.length - pos;
  if (!pos || !neg) return undefined;
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}
