import os
import unittest

import numpy as np

from tests.support import scratch_dir
from data import load_data, load_prepared, save_split


class DataTest(unittest.TestCase):
    def test_images_are_8x8_with_ten_classes(self):
        d = load_data(seed=0)
        self.assertEqual(d.x_train.shape[1:], (1, 8, 8))
        self.assertEqual(len(d.x_train) + len(d.x_test), 1797)
        self.assertEqual(sorted(np.unique(d.y_test)), list(range(10)))
        self.assertLessEqual(float(d.x_train.max()), 16.0)

    def test_split_is_repeatable(self):
        np.testing.assert_array_equal(load_data(seed=3).y_test, load_data(seed=3).y_test)

    def test_the_prepared_split_reads_back_byte_for_byte_and_only_for_its_seed(self):
        path = os.path.join(scratch_dir(self), "split.npz")
        save_split(load_data(seed=3), 0.25, 3, path)
        with open(path, "rb") as f:
            first = f.read()
        save_split(load_data(seed=3), 0.25, 3, path)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), first, "prepare writes the same bytes for the same params")
        np.testing.assert_array_equal(load_prepared(0.25, 3, path).x_test, load_data(seed=3).x_test)
        np.testing.assert_array_equal(load_prepared(0.25, 4, path).y_test, load_data(seed=4).y_test)
