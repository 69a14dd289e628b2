import unittest

import numpy as np

from tests import support  # noqa: F401
from data import load_data


class DataTest(unittest.TestCase):
    def test_images_are_8x8_with_ten_classes(self):
        d = load_data(seed=0)
        self.assertEqual(d.x_train.shape[1:], (1, 8, 8))
        self.assertEqual(len(d.x_train) + len(d.x_test), 1797)
        self.assertEqual(sorted(np.unique(d.y_test)), list(range(10)))
        self.assertLessEqual(float(d.x_train.max()), 16.0)

    def test_split_is_repeatable(self):
        np.testing.assert_array_equal(load_data(seed=3).y_test, load_data(seed=3).y_test)
