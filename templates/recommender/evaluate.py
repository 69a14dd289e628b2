"""Evaluation on the held-out ratings. `python evaluate.py` evaluates the saved model.pt
into metrics.json."""
import json
import sys

import numpy as np
import torch

from metrics import mae, rmse


def predict(model, users, items):
    model.eval()
    with torch.no_grad():
        return torch.clamp(model(torch.as_tensor(users), torch.as_tensor(items)), 1.0, 5.0).numpy()


def evaluate(model, ratings, train_mean):
    """RMSE and MAE of the predictions, and the RMSE of always predicting the training mean."""
    pred = predict(model, ratings.users, ratings.items)
    return {
        "rmse": rmse(ratings.ratings, pred),
        "mae": mae(ratings.ratings, pred),
        "baseline_rmse": rmse(ratings.ratings, np.full(len(pred), train_mean)),
    }


def main(argv):
    from data import load_prepared
    from model import MatrixFactorization
    from params import load_params

    params = load_params(argv)
    checkpoint = torch.load("model.pt")
    data = load_prepared(params["test_size"], params["seed"])
    model = MatrixFactorization(data.n_users, data.n_items, checkpoint["factors"])
    model.load_state_dict(checkpoint["state_dict"])
    metrics = evaluate(model, data.test, float(data.train.ratings.mean()))
    with open("metrics.json", "w") as f:  # the pipeline's evaluate stage metric
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
