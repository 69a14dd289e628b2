"""Pipeline stage `export`: writes model.onnx from the trained model.pt (`python export.py`).

train.py writes model.onnx through write_onnx as well; either way the model's metadata names the
run that trained the weights, the vectoriser's settings and the test metrics.
"""
import torch

from export_onnx import export_onnx
from model import SentimentClassifier, WithProbability

PROJECT = "{{project_name}}"
TEMPLATE = "text-classifier"


def write_onnx(model, path, n_features, bigrams, run_id, metrics):
    """Exports the classifier with its sigmoid: bag [batch, n_features] -> probability [batch, 1]."""
    export_onnx(
        WithProbability(model),
        (torch.zeros(1, n_features),),
        path,
        input_names=["bag"],
        output_names=["probability"],
        metadata={
            "mlw.run_id": run_id,
            "project": PROJECT,
            "template": TEMPLATE,
            "input": "bag: FP32 [batch, %d] hashed bag-of-words counts (data.vectorize, bigrams=%s)" % (n_features, bigrams),
            "output": "probability: FP32 [batch, 1] probability that the text is positive",
            "metrics": ", ".join("%s=%.4f" % kv for kv in metrics.items()),
        },
    )


def main():
    checkpoint = torch.load("model.pt")
    model = SentimentClassifier(checkpoint["n_features"], checkpoint["hidden"])
    model.load_state_dict(checkpoint["state_dict"])
    run_id = checkpoint.get("run_id", "local")
    write_onnx(model, "model.onnx", checkpoint["n_features"], checkpoint.get("bigrams", False), run_id, checkpoint.get("metrics", {}))
    print("wrote model.onnx (trained in run %s)" % run_id)


if __name__ == "__main__":
    main()
