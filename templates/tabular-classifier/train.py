"""Train {{project_name}}: a tabular classifier that flags suspicious cases.

    python train.py                      # params from params.yaml
    python train.py --lr=0.003 --epochs=50
    python train.py --recent_data=DIR    # also train on DIR/features.npy and DIR/labels.npy

Logs params, per-epoch loss and final test metrics (through ML Workbench's run helper when
present), then writes model.pt (weights) and model.onnx (for serving), tagged with the run id.
"""
import os
import sys
import time

import numpy as np
import torch
from torch import nn

from data import load_prepared
from evaluate import evaluate
from export import write_onnx
from model import Classifier
from params import load_params
from tracking import Tracker

PROJECT = "{{project_name}}"
TEMPLATE = "tabular-classifier"


def load_recent(folder, n_features):
    """Rows of recent, labelled traffic (ML Workbench's Retrain on Recent Data writes them from captured requests):
    folder/features.npy [rows, n_features] raw features, folder/labels.npy [rows] 0/1 labels."""
    x = np.load(os.path.join(folder, "features.npy")).astype(np.float32)
    y = np.load(os.path.join(folder, "labels.npy")).astype(np.float32).reshape(-1)
    if x.ndim != 2 or x.shape[1] != n_features or len(x) != len(y):
        raise ValueError("%s: expected features [rows, %d] and as many labels, got %s and %s" % (folder, n_features, x.shape, y.shape))
    return x, y


def train(params, tracker, onnx_path="model.onnx", checkpoint_path="model.pt"):
    """Trains, evaluates and exports; returns the final test metrics."""
    started = time.time()
    torch.manual_seed(params["seed"])
    np.random.seed(params["seed"])
    tracker.log_params(params)
    tracker.set_tags({"template": TEMPLATE, "dataset": "sklearn breast_cancer"})

    data = load_prepared(params["test_size"], params["seed"])
    if params.get("recent_data"):
        # The original training split plus the recent rows; the standardisation is fitted on both.
        x_recent, y_recent = load_recent(params["recent_data"], data.x_train.shape[1])
        x_all = np.concatenate([data.x_train, x_recent])
        data = data._replace(
            x_train=x_all,
            y_train=np.concatenate([data.y_train, y_recent]),
            mean=x_all.mean(axis=0),
            std=x_all.std(axis=0) + 1e-6,
        )
        print("recent data: %d rows from %s (%d training rows in all)" % (len(x_recent), params["recent_data"], len(x_all)))
    model = Classifier(data.x_train.shape[1], params["hidden"], data.mean, data.std)
    optimizer = torch.optim.Adam(model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"])
    positives = float(data.y_train.sum())
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(data.y_train) - positives) / positives))
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

    metrics = evaluate(model, data.x_test, data.y_test, params["threshold"])
    tracker.log_metrics(metrics)
    print("test  " + "  ".join("%s %.4f" % kv for kv in metrics.items()))

    checkpoint = {
        "state_dict": model.state_dict(),
        "hidden": params["hidden"],
        "feature_names": list(data.feature_names),
        "run_id": tracker.run_id,
        "metrics": metrics,
    }
    torch.save(checkpoint, checkpoint_path)
    write_onnx(model, onnx_path, tracker.run_id, metrics, list(data.feature_names))
    tracker.log_artifact(onnx_path)
    print("wrote %s and %s in %.1f s (run %s)" % (checkpoint_path, onnx_path, time.time() - started, tracker.run_id))
    return metrics


if __name__ == "__main__":
    train(load_params(sys.argv[1:]), Tracker())
