import unittest

import numpy as np

from tests import support  # noqa: F401
from data import load_data, read_ratings


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
