/** Accuracy and macro-averaged F1 of predicted class labels (as scikit-learn computes them: classes of both sides). */

export interface ClassificationMetrics {
  samples: number;
  accuracy: number;
  /** Unweighted mean of each class's F1; a class with no true and no predicted sample does not count. */
  macroF1: number;
}

export function classificationMetrics(predicted: readonly number[], labels: readonly number[]): ClassificationMetrics {
  if (predicted.length !== labels.length) throw new Error(`${predicted.length} predictions for ${labels.length} labels`);
  const classes = new Set([...predicted, ...labels]);
  let correct = 0;
  const tp = new Map<number, number>();
  const fp = new Map<number, number>();
  const fn = new Map<number, number>();
  const inc = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < labels.length; i++) {
    if (predicted[i] === labels[i]) {
      correct++;
      inc(tp, labels[i]);
    } else {
      inc(fp, predicted[i]);
      inc(fn, labels[i]);
    }
  }
  let f1Sum = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const denominator = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    f1Sum += denominator === 0 ? 0 : (2 * t) / denominator;
  }
  return {
    samples: labels.length,
    accuracy: labels.length ? correct / labels.length : Number.NaN,
    macroF1: classes.size ? f1Sum / classes.size : Number.NaN,
  };
}
