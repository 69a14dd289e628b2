"""Prints an Open Inference Protocol v2 request for the served model from texts.

    python make_request.py "What a lovely film" "Terrible service" > request.json
"""
import json
import sys

from data import vectorize
from params import load_params


def build_request(texts, n_features=2048, bigrams=False):
    x = vectorize(texts, n_features, bigrams)
    return {"inputs": [{"name": "bag", "shape": list(x.shape), "datatype": "FP32", "data": [float(v) for v in x.ravel()]}]}


if __name__ == "__main__":
    params = load_params([])
    texts = sys.argv[1:] or ["A wonderful film, I loved it.", "Awful food and rude staff."]
    print(json.dumps(build_request(texts, params["n_features"], params["bigrams"])))
