import os
import unittest

import torch

from tests.support import NullTracker, scratch_dir
from export_onnx import read_metadata
from model import DigitsCNN, WithProbabilities
from params import load_params
from train import train


class ModelTest(unittest.TestCase):
    def test_probabilities_sum_to_one(self):
        p = WithProbabilities(DigitsCNN(4)).eval()(torch.rand(3, 1, 8, 8) * 16)
        self.assertEqual(tuple(p.shape), (3, 10))
        torch.testing.assert_close(p.sum(-1), torch.ones(3))


class TrainTest(unittest.TestCase):
    def test_a_short_training_learns_and_exports_onnx_with_the_run_id(self):
        out = scratch_dir(self)
        tracker = NullTracker()
        metrics = train(load_params(["--epochs=4", "--channels=8"]), tracker, os.path.join(out, "model.onnx"), os.path.join(out, "model.pt"))
        self.assertGreater(metrics["accuracy"], 0.8)
        self.assertGreater(metrics["roc_auc"], 0.95)
        losses = [m["loss"] for m, _ in tracker.metrics if "loss" in m]
        self.assertEqual(len(losses), 4)
        self.assertLess(losses[-1], losses[0])
        meta = read_metadata(os.path.join(out, "model.onnx"))
        self.assertEqual(meta["mlw.run_id"], "test-run")
        self.assertEqual(meta["template"], "image-classifier")
