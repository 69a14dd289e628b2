"""Pipeline stage `prepare`: writes the stratified train/test split to data/split.npz."""
import sys

from data import SPLIT_FILE, load_data, save_split
from params import load_params


def main(argv):
    params = load_params(argv)
    data = load_data(params["test_size"], params["seed"])
    save_split(data, params["test_size"], params["seed"])
    print("wrote %s: %d train rows, %d test rows" % (SPLIT_FILE, len(data.y_train), len(data.y_test)))


if __name__ == "__main__":
    main(sys.argv[1:])
