import os
import unittest

import numpy as np

from tests.support import scratch_dir
from data import load_data, load_prepared, read_ratings, save_split


class DataTest(unittest.TestCase):
    def test_the_shipped_ratings(self):
        r = read_ratings()
        self.assertEqual(len(r.ratings), 1180)
        self.assertEqual(int(r.users.max()), 59)
        self.assertEqual(int(r.items.max()), 39)
        self.assertTrue(set(np.unique(r.ratings)) <= {1.0, 2.0, 3.0, 4.0, 5.0})

    def test_split_covers_every_rating_once(self):
        d = load_data(test_size=0.2, seed=1)
        self.assertEqual(len(d.train.ratings) + len(d.test.ratings), 1180)
        self.assertEqual(len(d.test.ratings), 236)
        pairs = set(zip(d.train.users.tolist(), d.train.items.tolist()))
        self.assertFalse(pairs & set(zip(d.test.users.tolist(), d.test.items.tolist())))

    def test_the_prepared_split_reads_back_byte_for_byte_and_only_for_its_seed(self):
        path = os.path.join(scratch_dir(self), "split.npz")
        save_split(load_data(0.2, 3), 0.2, 3, path)
        with open(path, "rb") as f:
            first = f.read()
        save_split(load_data(0.2, 3), 0.2, 3, path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), first, "prepare writes the same bytes for the same params")
        got, want = load_prepared(0.2, 3, path), load_data(0.2, 3)
        self.assertEqual((got.n_users, got.n_items), (want.n_users, want.n_items))
        np.testing.assert_array_equal(got.test.ratings, want.test.ratings)
        np.testing.assert_array_equal(load_prepared(0.2, 4, path).test.users, load_data(0.2, 4).test.users)
