import math
import unittest

import numpy as np

from tests import support  # noqa: F401
from metrics import classification_metrics, rmse, roc_auc


class MetricsTest(unittest.TestCase):
    def test_binary_metrics_by_hand(self):
        y = [1, 1, 0, 0, 1]
        p = [0.9, 0.4, 0.2, 0.7, 0.8]  # predictions at 0.5: 1, 0, 0, 1, 1
        m = classification_metrics(y, p)
        self.assertAlmostEqual(m["accuracy"], 3 / 5)
        self.assertAlmostEqual(m["precision"], 2 / 3)
        self.assertAlmostEqual(m["recall"], 2 / 3)
        self.assertAlmostEqual(m["f1"], 2 / 3)
        # positive scores 0.9, 0.4, 0.8 against negatives 0.2, 0.7: 5 of 6 pairs ordered right
        self.assertAlmostEqual(m["roc_auc"], 5 / 6)

    def test_roc_auc_counts_ties_half_and_is_nan_for_one_class(self):
        self.assertAlmostEqual(roc_auc([1, 0], [0.5, 0.5]), 0.5)
        self.assertTrue(math.isnan(roc_auc([1, 1], [0.2, 0.3])))

    def test_multiclass_macro_averages(self):
        y = [0, 1, 2, 2]
        proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.6, 0.2, 0.2]])
        m = classification_metrics(y, proba)
        self.assertAlmostEqual(m["accuracy"], 0.75)
        self.assertAlmostEqual(m["recall"], (1 + 1 + 0.5) / 3)
        self.assertAlmostEqual(m["precision"], (0.5 + 1 + 1) / 3)

    def test_agrees_with_scikit_learn_when_installed(self):
        try:
            from sklearn import metrics as skm
        except ImportError:
            self.skipTest("scikit-learn is not installed")
        rng = np.random.default_rng(0)
        y = rng.integers(0, 2, 200)
        p = np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1)
        m = classification_metrics(y, p)
        self.assertAlmostEqual(m["roc_auc"], skm.roc_auc_score(y, p))
        self.assertAlmostEqual(m["f1"], skm.f1_score(y, p >= 0.5))

    def test_rmse(self):
        self.assertAlmostEqual(rmse([1, 2, 3], [1, 2, 5]), math.sqrt(4 / 3))


if __name__ == "__main__":
    unittest.main()
