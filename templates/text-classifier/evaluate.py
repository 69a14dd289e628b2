"""Evaluation on the held-out split. `python evaluate.py` evaluates the saved model.pt
into metrics.json."""
import json
import sys

import torch

from metrics import classification_metrics


def predict_proba(model, x):
    model.eval()
    with torch.no_grad():
        return torch.sigmoid(model(torch.as_tensor(x))).numpy()


def evaluate(model, x, y):
    """Accuracy, precision, recall, F1 and ROC-AUC of the "positive" probability."""
    return classification_metrics(y, predict_proba(model, x))


def main(argv):
    from data import load_prepared
    from model import SentimentClassifier
    from params import load_params

    params = load_params(argv)
    checkpoint = torch.load("model.pt")
    bigrams = checkpoint.get("bigrams", params["bigrams"])  # the vectoriser the model was trained with
    data = load_prepared(params["test_size"], params["seed"], checkpoint["n_features"], bigrams)
    model = SentimentClassifier(checkpoint["n_features"], checkpoint["hidden"])
    model.load_state_dict(checkpoint["state_dict"])
    metrics = evaluate(model, data.x_test, data.y_test)
    with open("metrics.json", "w") as f:  # the pipeline's evaluate stage metric
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
