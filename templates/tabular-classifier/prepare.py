"""Pipeline stage `prepare`: writes the stratified train/test split to data/split.npz."""
import os
import sys

import numpy as np

from data import SPLIT_FILE, load_data
from params import load_params


def main(argv):
    params = load_params(argv)
    data = load_data(params["test_size"], params["seed"])
    os.makedirs(os.path.dirname(SPLIT_FILE), exist_ok=True)
    np.savez(SPLIT_FILE, **{k: np.asarray(v) for k, v in data._asdict().items()})
    print("wrote %s: %d train rows, %d test rows" % (SPLIT_FILE, len(data.y_train), len(data.y_test)))


if __name__ == "__main__":
    main(sys.argv[1:])
