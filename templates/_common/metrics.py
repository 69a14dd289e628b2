"""Evaluation metrics in plain numpy: accuracy, precision, recall, F1, ROC-AUC, RMSE.

Binary problems take the probability of the positive class; multi-class problems take one
probability column per class and report macro averages (ROC-AUC one-vs-rest).
"""
import numpy as np


def _binary_counts(y_true, y_pred):
    tp = float(np.sum((y_true == 1) & (y_pred == 1)))
    fp = float(np.sum((y_true == 0) & (y_pred == 1)))
    fn = float(np.sum((y_true == 1) & (y_pred == 0)))
    return tp, fp, fn


def _prf(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def roc_auc(y_true, score):
    """Area under the ROC curve of a binary problem (ties count half), via the rank-sum statistic."""
    y_true = np.asarray(y_true).astype(bool)
    score = np.asarray(score, dtype=np.float64)
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    sorted_scores = score[order]
    ranks = np.empty(len(score), dtype=np.float64)
    i = 0
    while i < len(score):  # average ranks over ties
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y_true].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def classification_metrics(y_true, proba, threshold=0.5):
    """Accuracy, precision, recall, F1 and ROC-AUC.

    `proba` is a vector of positive-class probabilities (binary, predicted positive from
    `threshold` up) or a matrix with one column per class (multi-class: argmax, macro averages).
    """
    y_true = np.asarray(y_true).astype(np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim == 1:
        y_pred = (proba >= threshold).astype(np.int64)
        precision, recall, f1 = _prf(*_binary_counts(y_true, y_pred))
        auc = roc_auc(y_true, proba)
    else:
        y_pred = proba.argmax(axis=1)
        per_class = [_prf(*_binary_counts((y_true == c).astype(int), (y_pred == c).astype(int))) for c in range(proba.shape[1])]
        precision, recall, f1 = (float(np.mean([p[i] for p in per_class])) for i in range(3))
        aucs = [roc_auc(y_true == c, proba[:, c]) for c in range(proba.shape[1])]
        aucs = [a for a in aucs if a == a]
        auc = float(np.mean(aucs)) if aucs else float("nan")
    return {
        "accuracy": float(np.mean(y_pred == y_true)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "roc_auc": float(auc),
    }


def rmse(y_true, y_pred):
    """Root mean squared error."""
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.sqrt(np.mean(diff * diff)))


def mae(y_true, y_pred):
    """Mean absolute error."""
    return float(np.mean(np.abs(np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64))))
