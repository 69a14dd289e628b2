"""The data: scikit-learn's bundled breast-cancer table (no download), framed as case flagging.

Each row is a case with 30 numeric features; the positive class (1, "flag") is the rarer one
(malignant in the original data, 37 % of rows), like the fraudulent minority of a fraud table.
"""
import os
from collections import namedtuple

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

Split = namedtuple("Split", "x_train y_train x_test y_test feature_names mean std")

# Written by the pipeline's prepare stage (prepare.py); train, evaluate and export read it when present.
SPLIT_FILE = os.path.join("data", "split.npz")


def load_data(test_size=0.25, seed=42):
    """A stratified train/test split as float32 features and 0/1 labels, plus the training
    set's per-feature mean and std (the model standardises its inputs with them)."""
    raw = load_breast_cancer()
    x = raw.data.astype(np.float32)
    y = (raw.target == 0).astype(np.float32)  # 1 = flag (malignant), the minority class
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0) + 1e-6
    return Split(x_train, y_train, x_test, y_test, list(raw.feature_names), mean, std)


def save_split(split, test_size, seed, path=SPLIT_FILE):
    """Writes `split` to `path` with the test_size and seed that made it (same inputs, same bytes)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    np.savez(path, test_size=float(test_size), seed=int(seed), **{k: np.asarray(v) for k, v in split._asdict().items()})


def load_prepared(test_size=0.25, seed=42, path=SPLIT_FILE):
    """The split prepare.py wrote to data/split.npz when it was made with this test_size and seed,
    else a fresh one (so `python train.py --seed=7` never trains on another seed's split)."""
    if os.path.exists(path):
        saved = np.load(path)
        if "seed" in saved.files and float(saved["test_size"]) == float(test_size) and int(saved["seed"]) == int(seed):
            return Split(*[list(saved[k]) if k == "feature_names" else saved[k] for k in Split._fields])
    return load_data(test_size, seed)
