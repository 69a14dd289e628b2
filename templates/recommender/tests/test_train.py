import os
import unittest

import torch

from tests.support import NullTracker, scratch_dir
from export_onnx import read_metadata
from model import MatrixFactorization, Served
from params import load_params
from train import train


class ModelTest(unittest.TestCase):
    def test_served_ratings_stay_between_one_and_five(self):
        mf = MatrixFactorization(5, 5, 2, mean=3.0)
        with torch.no_grad():
            mf.user_bias.weight.fill_(10.0)
        out = Served(mf)(torch.tensor([0, 1]), torch.tensor([2, 3]))
        self.assertEqual(tuple(out.shape), (2, 1))
        self.assertTrue(bool((out == 5.0).all()))


class TrainTest(unittest.TestCase):
    def test_training_beats_the_mean_baseline_and_exports_onnx_with_the_run_id(self):
        out = scratch_dir(self)
        tracker = NullTracker()
        metrics = train(load_params([]), tracker, os.path.join(out, "model.onnx"), os.path.join(out, "model.pt"))
        self.assertLess(metrics["rmse"], metrics["baseline_rmse"] * 0.85)
        losses = [m["loss"] for m, _ in tracker.metrics if "loss" in m]
        self.assertLess(losses[-1], losses[0])
        meta = read_metadata(os.path.join(out, "model.onnx"))
        self.assertEqual(meta["mlw.run_id"], "test-run")
        self.assertEqual(meta["template"], "recommender")
