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
# Written by the pipeline's prepare stage (prepare.py): the split's texts and labels, read by train,
# evaluate and export when present.
SPLIT_FILE = os.path.join("data", "split.npz")
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


def split_reviews(test_size=0.25, seed=42, path=DATA_FILE):
    """A seeded train/test split of the reviews by group: (texts_train, y_train, texts_test, y_test)."""
    texts, labels, groups = read_reviews(path)
    unique = np.unique(groups)
    np.random.default_rng(seed).shuffle(unique)
    test_groups = unique[: max(1, int(round(len(unique) * test_size)))]
    test_mask = np.isin(groups, test_groups)
    pick = lambda keep: [t for t, m in zip(texts, keep) if m]  # noqa: E731
    return pick(~test_mask), labels[~test_mask], pick(test_mask), labels[test_mask]


def _vectorized(texts_train, y_train, texts_test, y_test, n_features, bigrams):
    x_train, x_test = vectorize(texts_train, n_features, bigrams), vectorize(texts_test, n_features, bigrams)
    return Split(x_train, y_train, x_test, y_test, list(texts_test))


def load_data(test_size=0.25, seed=42, n_features=2048, bigrams=False, path=DATA_FILE):
    """A seeded train/test split of the vectorised reviews, by group."""
    return _vectorized(*split_reviews(test_size, seed, path), n_features, bigrams)


def save_split(test_size=0.25, seed=42, path=SPLIT_FILE):
    """Writes the split's texts and labels to `path` with the test_size and seed that made it (same
    inputs, same bytes); returns the split."""
    texts_train, y_train, texts_test, y_test = split_reviews(test_size, seed)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    np.savez(
        path,
        test_size=float(test_size),
        seed=int(seed),
        texts_train=np.array(texts_train, dtype=str),
        y_train=y_train,
        texts_test=np.array(texts_test, dtype=str),
        y_test=y_test,
    )
    return texts_train, y_train, texts_test, y_test


def load_prepared(test_size=0.25, seed=42, n_features=2048, bigrams=False, path=SPLIT_FILE):
    """The split prepare.py wrote to data/split.npz, vectorised, when it was made with this
    test_size and seed; else a fresh one (so `python train.py --seed=7` never trains on another
    seed's split)."""
    if os.path.exists(path):
        saved = np.load(path)
        if float(saved["test_size"]) == float(test_size) and int(saved["seed"]) == int(seed):
            texts_train, texts_test = [str(t) for t in saved["texts_train"]], [str(t) for t in saved["texts_test"]]
            return _vectorized(texts_train, saved["y_train"], texts_test, saved["y_test"], n_features, bigrams)
    return load_data(test_size, seed, n_features, bigrams)
