import json
import os
import unittest

import torch

from tests.support import NullTracker, scratch_dir
from export_onnx import read_metadata
from make_request import build_request
from model import SentimentClassifier, WithProbability
from params import load_params
from train import train


class ModelTest(unittest.TestCase):
    def test_outputs_are_probabilities(self):
        p = WithProbability(SentimentClassifier(32, 4)).eval()(torch.rand(3, 32))
        self.assertEqual(tuple(p.shape), (3, 1))
        self.assertTrue(bool(((p >= 0) & (p <= 1)).all()))


class TrainTest(unittest.TestCase):
    def test_training_beats_chance_and_exports_onnx_with_the_run_id(self):
        out = scratch_dir(self)
        tracker = NullTracker()
        metrics = train(load_params([]), tracker, os.path.join(out, "model.onnx"), os.path.join(out, "model.pt"))
        self.assertGreater(metrics["accuracy"], 0.6)
        self.assertGreater(metrics["roc_auc"], 0.6)
        losses = [m["loss"] for m, _ in tracker.metrics if "loss" in m]
        self.assertLess(losses[-1], losses[0] / 10)
        meta = read_metadata(os.path.join(out, "model.onnx"))
        self.assertEqual(meta["mlw.run_id"], "test-run")
        self.assertEqual(meta["template"], "text-classifier")

    def test_the_sample_request_matches_the_default_params(self):
        params = load_params([])
        with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_request.json")) as f:
            sample = json.load(f)
        inp = sample["inputs"][0]
        self.assertEqual(inp["shape"][1], params["n_features"])
        self.assertEqual(inp, build_request(["A wonderful film, I loved it.", "Awful food and rude staff."], params["n_features"], params["bigrams"])["inputs"][0])
