"""The data: 200 short reviews labelled positive (1) or negative (0), in data/reviews.csv.

Reviews come in pairs about the same thing (`group`), one positive and one negative; a pair is
never split between train and test, so the test set holds subjects the model has not seen.

Texts become fixed-size vectors with the hashing trick: each lower-cased word (and, with
`bigrams`, each pair of neighbouring words) adds 1 to bucket crc32(token) % n_features. No
vocabulary is stored, so the served model and any client agree through this one function.
"""
import csv
import os
import re
import zlib
from collections import namedtuple

import numpy as np

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "reviews.csv")
Split = namedtuple("Split", "x_train y_train x_test y_test texts_test")
_WORD = re.compile(r"[a-z0-9']+")


def read_reviews(path=DATA_FILE):
    """(texts, labels, groups) from a CSV with `text`, `label` (0/1) and `group` columns."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    labels = np.array([int(r["label"]) for r in rows], dtype=np.float32)
    groups = np.array([int(r.get("group") or i) for i, r in enumerate(rows)])
    return [r["text"] for r in rows], labels, groups


def tokens(text, bigrams=False):
    words = _WORD.findall(text.lower())
    return words + (["%s %s" % pair for pair in zip(words, words[1:])] if bigrams else [])


def vectorize(texts, n_features=2048, bigrams=False):
    """Hashed bag-of-words counts, float32 [len(texts), n_features]."""
    out = np.zeros((len(texts), n_features), dtype=np.float32)
    for row, text in enumerate(texts):
        for token in tokens(text, bigrams):
            out[row, zlib.crc32(token.encode("utf-8")) % n_features] += 1.0
    return out


def load_data(test_size=0.25, seed=42, n_features=2048, bigrams=False, path=DATA_FILE):
    """A seeded train/test split of the vectorised reviews, by group."""
    texts, labels, groups = read_reviews(path)
    unique = np.unique(groups)
    np.random.default_rng(seed).shuffle(unique)
    test_groups = unique[: max(1, int(round(len(unique) * test_size)))]
    test_mask = np.isin(groups, test_groups)
    x = vectorize(texts, n_features, bigrams)
    texts_test = [t for t, m in zip(texts, test_mask) if m]
    return Split(x[~test_mask], labels[~test_mask], x[test_mask], labels[test_mask], texts_test)
