import os
import unittest
import zlib

import numpy as np

from tests.support import scratch_dir
from data import load_data, load_prepared, read_reviews, save_split, tokens, vectorize


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

    def test_the_prepared_split_reads_back_byte_for_byte_and_only_for_its_seed(self):
        path = os.path.join(scratch_dir(self), "split.npz")
        save_split(0.25, 3, path)
        with open(path, "rb") as f:
            first = f.read()
        save_split(0.25, 3, path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), first, "prepare writes the same bytes for the same params")
        got, want = load_prepared(0.25, 3, 256, True, path), load_data(0.25, 3, 256, True)
        np.testing.assert_array_equal(got.x_train, want.x_train)
        self.assertEqual(got.texts_test, want.texts_test)
        self.assertEqual(load_prepared(0.25, 4, 256, False, path).texts_test, load_data(0.25, 4, 256).texts_test)
