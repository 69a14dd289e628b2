"""Train {{project_name}}: a sentiment classifier for short reviews.

    python train.py                       # params from params.yaml
    python train.py --hidden=64 --bigrams=false

Logs params, per-epoch loss and final test metrics (through ML Workbench's run helper when
present), then writes model.pt (weights) and model.onnx (for serving), tagged with the run id.
Trains on data/split.npz when the pipeline's prepare stage wrote it (same seed and test_size).
"""
import sys
import time

import numpy as np
import torch
from torch import nn

from data import load_prepared
from evaluate import evaluate
from export import write_onnx
from model import SentimentClassifier
from params import load_params
from tracking import Tracker

PROJECT = "{{project_name}}"
TEMPLATE = "text-classifier"


def train(params, tracker, onnx_path="model.onnx", checkpoint_path="model.pt"):
    """Trains, evaluates and exports; returns the final test metrics."""
    started = time.time()
    torch.manual_seed(params["seed"])
    np.random.seed(params["seed"])
    tracker.log_params(params)
    tracker.set_tags({"template": TEMPLATE, "dataset": "data/reviews.csv"})

    data = load_prepared(params["test_size"], params["seed"], params["n_features"], params["bigrams"])
    model = SentimentClassifier(params["n_features"], params["hidden"], params["dropout"])
    optimizer = torch.optim.Adam(model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"])
    loss_fn = nn.BCEWithLogitsLoss()
    x_train, y_train = torch.as_tensor(data.x_train), torch.as_tensor(data.y_train)
    x_test, y_test = torch.as_tensor(data.x_test), torch.as_tensor(data.y_test)

    for epoch in range(params["epochs"]):
        model.train()
        order = torch.randperm(len(x_train))
        total = 0.0
        for start in range(0, len(order), params["batch_size"]):
            idx = order[start : start + params["batch_size"]]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            logits = model(x_test)
            val_loss = loss_fn(logits, y_test).item()
            val_accuracy = ((logits > 0).float() == y_test).float().mean().item()
        train_loss = total / len(order)
        tracker.log_metrics({"loss": train_loss, "val_loss": val_loss, "val_accuracy": val_accuracy}, step=epoch)
        print("epoch %d/%d  loss %.4f  val_loss %.4f  val_accuracy %.3f" % (epoch + 1, params["epochs"], train_loss, val_loss, val_accuracy))

    metrics = evaluate(model, data.x_test, data.y_test)
    tracker.log_metrics(metrics)
    print("test  " + "  ".join("%s %.4f" % kv for kv in metrics.items()))

    checkpoint = {
        "state_dict": model.state_dict(),
        "n_features": params["n_features"],
        "hidden": params["hidden"],
        "bigrams": params["bigrams"],
        "run_id": tracker.run_id,
        "metrics": metrics,
    }
    torch.save(checkpoint, checkpoint_path)
    write_onnx(model, onnx_path, params["n_features"], params["bigrams"], tracker.run_id, metrics)
    tracker.log_artifact(onnx_path)
    print("wrote %s and %s in %.1f s (run %s)" % (checkpoint_path, onnx_path, time.time() - started, tracker.run_id))
    return metrics


if __name__ == "__main__":
    train(load_params(sys.argv[1:]), Tracker())
