"""Pipeline stage `export`: writes model.onnx from the trained model.pt (`python export.py`).

train.py writes model.onnx through write_onnx as well; either way the model's metadata names the
run that trained the weights and its test metrics.
"""
import torch

from export_onnx import export_onnx
from model import DigitsCNN, WithProbabilities

PROJECT = "{{project_name}}"
TEMPLATE = "image-classifier"


def write_onnx(model, path, run_id, metrics):
    """Exports the CNN with softmax probabilities: image [batch, 1, 8, 8] -> probabilities [batch, 10]."""
    export_onnx(
        WithProbabilities(model),
        (torch.zeros(1, 1, 8, 8),),
        path,
        input_names=["image"],
        output_names=["probabilities"],
        metadata={
            "mlw.run_id": run_id,
            "project": PROJECT,
            "template": TEMPLATE,
            "input": "image: FP32 [batch, 1, 8, 8] grey levels 0..16",
            "output": "probabilities: FP32 [batch, 10] one per digit 0..9",
            "metrics": ", ".join("%s=%.4f" % kv for kv in metrics.items()),
        },
    )


def main():
    checkpoint = torch.load("model.pt")
    model = DigitsCNN(checkpoint["channels"])
    model.load_state_dict(checkpoint["state_dict"])
    write_onnx(model, "model.onnx", checkpoint.get("run_id", "local"), checkpoint.get("metrics", {}))
    print("wrote model.onnx (trained in run %s)" % checkpoint.get("run_id", "local"))


if __name__ == "__main__":
    main()
