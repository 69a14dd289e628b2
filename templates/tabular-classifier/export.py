"""Pipeline stage `export`: writes model.onnx from the trained model.pt."""
import sys

import torch

from data import load_prepared
from export_onnx import export_onnx
from model import Classifier, WithProbability
from params import load_params


def main(argv):
    params = load_params(argv)
    checkpoint = torch.load("model.pt")
    data = load_prepared(params["test_size"], params["seed"])
    model = Classifier(data.x_train.shape[1], checkpoint["hidden"], data.mean, data.std)
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    export_onnx(
        WithProbability(model),
        (torch.as_tensor(data.x_test[:1]),),
        "model.onnx",
        input_names=["features"],
        output_names=["probability"],
        metadata={"template": "tabular-classifier"},
    )
    print("wrote model.onnx")


if __name__ == "__main__":
    main(sys.argv[1:])
