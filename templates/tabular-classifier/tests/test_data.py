import unittest

import numpy as np

from tests import support  # noqa: F401
from data import load_data


class DataTest(unittest.TestCase):
    def test_split_shapes_and_labels(self):
        d = load_data(test_size=0.25, seed=0)
        self.assertEqual(d.x_train.shape[1], 30)
        self.assertEqual(len(d.x_train) + len(d.x_test), 569)
        self.assertEqual(set(np.unique(d.y_train)), {0.0, 1.0})
        self.assertEqual(d.x_train.dtype, np.float32)

    def test_split_is_stratified_and_repeatable(self):
        a, b = load_data(seed=1), load_data(seed=1)
        np.testing.assert_array_equal(a.x_test, b.x_test)
        self.assertAlmostEqual(a.y_train.mean(), a.y_test.mean(), delta=0.02)
