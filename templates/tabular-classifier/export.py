"""Pipeline stage `export`: writes model.onnx from the trained model.pt (`python export.py`).

train.py writes model.onnx through write_onnx as well; either way the model's metadata names the
run that trained the weights and its test metrics.
"""
import torch

from export_onnx import export_onnx
from model import Classifier, WithProbability

PROJECT = "{{project_name}}"
TEMPLATE = "tabular-classifier"


def write_onnx(model, path, run_id, metrics, feature_names):
    """Exports the classifier with its probability: features [batch, n] raw values -> probability [batch, 1]."""
    n_features = len(feature_names)
    export_onnx(
        WithProbability(model),
        (torch.zeros(1, n_features),),
        path,
        input_names=["features"],
        output_names=["probability"],
        metadata={
            "mlw.run_id": run_id,
            "project": PROJECT,
            "template": TEMPLATE,
            "input": "features: FP32 [batch, %d] raw feature values (%s, ...)" % (n_features, ", ".join(feature_names[:3])),
            "output": "probability: FP32 [batch, 1] probability that the case should be flagged",
            "metrics": ", ".join("%s=%.4f" % kv for kv in metrics.items()),
        },
    )


def main():
    checkpoint = torch.load("model.pt")
    names = list(checkpoint["feature_names"])
    # mean and std are buffers of the state dict: placeholders of the right size are overwritten by it.
    model = Classifier(len(names), checkpoint["hidden"], torch.zeros(len(names)), torch.ones(len(names)))
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    write_onnx(model, "model.onnx", checkpoint.get("run_id", "local"), checkpoint.get("metrics", {}), names)
    print("wrote model.onnx (trained in run %s)" % checkpoint.get("run_id", "local"))


if __name__ == "__main__":
    main()
