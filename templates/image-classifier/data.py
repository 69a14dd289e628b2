"""The data: scikit-learn's bundled handwritten digits (8x8 grey-scale images, values 0..16)."""
import os
from collections import namedtuple

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

Split = namedtuple("Split", "x_train y_train x_test y_test")
N_CLASSES = 10
# Written by the pipeline's prepare stage (prepare.py); train, evaluate and export read it when present.
SPLIT_FILE = os.path.join("data", "split.npz")


def load_data(test_size=0.25, seed=42):
    """A stratified split of images shaped [n, 1, 8, 8] (float32, raw 0..16) and labels 0..9."""
    raw = load_digits()
    x = raw.images.astype(np.float32)[:, None, :, :]
    y = raw.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    return Split(x_train, y_train, x_test, y_test)


def save_split(split, test_size, seed, path=SPLIT_FILE):
    """Writes `split` to `path` with the test_size and seed that made it (same inputs, same bytes)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    np.savez(path, test_size=float(test_size), seed=int(seed), **split._asdict())


def load_prepared(test_size=0.25, seed=42, path=SPLIT_FILE):
    """The split prepare.py wrote to data/split.npz when it was made with this test_size and seed,
    else a fresh one (so `python train.py --seed=7` never trains on another seed's split)."""
    if os.path.exists(path):
        saved = np.load(path)
        if float(saved["test_size"]) == float(test_size) and int(saved["seed"]) == int(seed):
            return Split(*(saved[k] for k in Split._fields))
    return load_data(test_size, seed)
