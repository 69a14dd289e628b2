"""Train {{project_name}}: a matrix-factorisation recommender that predicts star ratings.

    python train.py                     # params from params.yaml
    python train.py --factors=16 --epochs=100

Logs params, per-epoch loss and final test RMSE (through ML Workbench's run helper when
present), then writes model.pt (weights) and model.onnx (for serving), tagged with the run id.
Trains on data/split.npz when the pipeline's prepare stage wrote it (same seed and test_size).
"""
import sys
import time

import numpy as np
import torch

from data import load_prepared
from evaluate import evaluate
from export import write_onnx
from model import MatrixFactorization
from params import load_params
from tracking import Tracker

PROJECT = "{{project_name}}"
TEMPLATE = "recommender"


def train(params, tracker, onnx_path="model.onnx", checkpoint_path="model.pt"):
    """Trains, evaluates and exports; returns the final test metrics."""
    started = time.time()
    torch.manual_seed(params["seed"])
    np.random.seed(params["seed"])
    tracker.log_params(params)
    tracker.set_tags({"template": TEMPLATE, "dataset": "data/ratings.csv"})

    data = load_prepared(params["test_size"], params["seed"])
    train_mean = float(data.train.ratings.mean())
    model = MatrixFactorization(data.n_users, data.n_items, params["factors"], train_mean)
    optimizer = torch.optim.Adam(model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"])
    users, items = torch.as_tensor(data.train.users), torch.as_tensor(data.train.items)
    target = torch.as_tensor(data.train.ratings)
    test_users, test_items = torch.as_tensor(data.test.users), torch.as_tensor(data.test.items)
    test_target = torch.as_tensor(data.test.ratings)

    for epoch in range(params["epochs"]):  # full batch: the whole table is small
        model.train()
        optimizer.zero_grad()
        loss = torch.mean((model(users, items) - target) ** 2)
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_rmse = torch.sqrt(torch.mean((model(test_users, test_items) - test_target) ** 2)).item()
        tracker.log_metrics({"loss": loss.item(), "val_rmse": val_rmse}, step=epoch)
        if epoch % 10 == 9 or epoch == params["epochs"] - 1:
            print("epoch %d/%d  loss %.4f  val_rmse %.4f" % (epoch + 1, params["epochs"], loss.item(), val_rmse))

    metrics = evaluate(model, data.test, train_mean)
    tracker.log_metrics(metrics)
    print("test  " + "  ".join("%s %.4f" % kv for kv in metrics.items()))

    checkpoint = {
        "state_dict": model.state_dict(),
        "factors": params["factors"],
        "n_users": data.n_users,
        "n_items": data.n_items,
        "run_id": tracker.run_id,
        "metrics": metrics,
    }
    torch.save(checkpoint, checkpoint_path)
    write_onnx(model, onnx_path, data.n_users, data.n_items, tracker.run_id, metrics)
    tracker.log_artifact(onnx_path)
    print("wrote %s and %s in %.1f s (run %s)" % (checkpoint_path, onnx_path, time.time() - started, tracker.run_id))
    return metrics


if __name__ == "__main__":
    train(load_params(sys.argv[1:]), Tracker())
