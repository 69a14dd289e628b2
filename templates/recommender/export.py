"""Pipeline stage `export`: writes model.onnx from the trained model.pt (`python export.py`).

train.py writes model.onnx through write_onnx as well; either way the model's metadata names the
run that trained the weights, the id ranges and the test metrics.
"""
import torch

from export_onnx import export_onnx
from model import MatrixFactorization, Served

PROJECT = "{{project_name}}"
TEMPLATE = "recommender"


def write_onnx(model, path, n_users, n_items, run_id, metrics):
    """Exports the clamped factorisation: user_id, item_id [batch] (INT64) -> rating [batch, 1]."""
    example = torch.zeros(2, dtype=torch.int64)
    export_onnx(
        Served(model),
        (example, example),
        path,
        input_names=["user_id", "item_id"],
        output_names=["rating"],
        metadata={
            "mlw.run_id": run_id,
            "project": PROJECT,
            "template": TEMPLATE,
            "input": "user_id, item_id: INT64 [batch] (users 0..%d, items 0..%d)" % (n_users - 1, n_items - 1),
            "output": "rating: FP32 [batch, 1] predicted stars 1..5",
            "metrics": ", ".join("%s=%.4f" % kv for kv in metrics.items()),
        },
    )


def main():
    checkpoint = torch.load("model.pt")
    n_users, n_items = checkpoint["n_users"], checkpoint["n_items"]
    model = MatrixFactorization(n_users, n_items, checkpoint["factors"])
    model.load_state_dict(checkpoint["state_dict"])
    run_id = checkpoint.get("run_id", "local")
    write_onnx(model, "model.onnx", n_users, n_items, run_id, checkpoint.get("metrics", {}))
    print("wrote model.onnx (trained in run %s)" % run_id)


if __name__ == "__main__":
    main()
