"""The data: scikit-learn's bundled handwritten digits (8x8 grey-scale images, values 0..16)."""
from collections import namedtuple

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

Split = namedtuple("Split", "x_train y_train x_test y_test")
N_CLASSES = 10


def load_data(test_size=0.25, seed=42):
    """A stratified split of images shaped [n, 1, 8, 8] (float32, raw 0..16) and labels 0..9."""
    raw = load_digits()
    x = raw.images.astype(np.float32)[:, None, :, :]
    y = raw.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    return Split(x_train, y_train, x_test, y_test)
