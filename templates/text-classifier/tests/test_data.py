import unittest
import zlib

import numpy as np

from tests import support  # noqa: F401
from data import load_data, read_reviews, tokens, vectorize


class DataTest(unittest.TestCase):
    def test_the_shipped_reviews_are_balanced_pairs(self):
        texts, labels, groups = read_reviews()
        self.assertEqual(len(texts), 200)
        self.assertEqual(int(labels.sum()), 100)
        for g in np.unique(groups):
            self.assertEqual(sorted(labels[groups == g]), [0.0, 1.0])

    def test_vectorize_counts_hashed_tokens(self):
        x = vectorize(["Good good film"], n_features=64)
        self.assertEqual(x.shape, (1, 64))
        self.assertEqual(x.sum(), 3)
        self.assertEqual(x[0, zlib.crc32(b"good") % 64], 2)
        self.assertEqual(tokens("Not bad", bigrams=True), ["not", "bad", "not bad"])

    def test_no_pair_is_split_between_train_and_test(self):
        d = load_data(seed=5, n_features=256)
        self.assertEqual(len(d.x_train) + len(d.x_test), 200)
        self.assertEqual(d.y_test.sum() * 2, len(d.y_test))  # whole pairs: as many positives as negatives
