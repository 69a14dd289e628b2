import os
import unittest

import numpy as np
import torch

from tests.support import NullTracker, scratch_dir
from export_onnx import read_metadata
from model import Classifier, WithProbability
from params import load_params
from train import train


class ModelTest(unittest.TestCase):
    def test_outputs_are_probabilities(self):
        model = WithProbability(Classifier(30, 8, np.zeros(30), np.ones(30)))
        p = model(torch.randn(5, 30))
        self.assertEqual(tuple(p.shape), (5, 1))
        self.assertTrue(bool(((p >= 0) & (p <= 1)).all()))


class TrainTest(unittest.TestCase):
    def test_a_short_training_learns_and_exports_onnx_with_the_run_id(self):
        out = scratch_dir(self)
        params = load_params(["--epochs=8"])
        tracker = NullTracker()
        metrics = train(params, tracker, os.path.join(out, "model.onnx"), os.path.join(out, "model.pt"))
        self.assertGreater(metrics["accuracy"], 0.85)
        self.assertGreater(metrics["roc_auc"], 0.9)
        for name in ("precision", "recall", "f1"):
            self.assertIn(name, metrics)
        losses = [m["loss"] for m, step in tracker.metrics if "loss" in m]
        self.assertEqual(len(losses), 8)
        self.assertLess(losses[-1], losses[0])
        self.assertEqual(tracker.params["epochs"], 8)
        meta = read_metadata(os.path.join(out, "model.onnx"))
        self.assertEqual(meta["mlw.run_id"], "test-run")
        self.assertEqual(meta["template"], "tabular-classifier")


class RecentDataTest(unittest.TestCase):
    def test_recent_rows_join_the_training_split_and_its_standardisation(self):
        from data import load_data

        out = scratch_dir(self)
        recent = os.path.join(out, "recent")
        os.makedirs(recent)
        d = load_data()
        x = d.x_test[:40] * 4.0  # shifted traffic: the combined standardisation must move
        np.save(os.path.join(recent, "features.npy"), x)
        np.save(os.path.join(recent, "labels.npy"), d.y_test[:40])
        tracker = NullTracker()
        train(load_params(["--epochs=2", "--recent_data=" + recent]), tracker, os.path.join(out, "model.onnx"), os.path.join(out, "model.pt"))
        mean = torch.load(os.path.join(out, "model.pt"))["state_dict"]["mean"].numpy()
        np.testing.assert_allclose(mean, np.concatenate([d.x_train, x]).mean(axis=0), rtol=1e-5)
        self.assertEqual(tracker.params["recent_data"], recent)

    def test_a_recent_folder_of_the_wrong_width_is_an_error(self):
        out = scratch_dir(self)
        np.save(os.path.join(out, "features.npy"), np.zeros((3, 5), np.float32))
        np.save(os.path.join(out, "labels.npy"), np.zeros(3, np.float32))
        with self.assertRaisesRegex(ValueError, "expected features \\[rows, 30\\]"):
            train(load_params(["--epochs=1", "--recent_data=" + out]), NullTracker(), os.path.join(out, "m.onnx"), os.path.join(out, "m.pt"))
