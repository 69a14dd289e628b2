"""Pipeline stage `prepare`: writes the train/test split of data/reviews.csv (by group) to data/split.npz."""
import sys

from data import SPLIT_FILE, save_split
from params import load_params


def main(argv):
    params = load_params(argv)
    texts_train, _, texts_test, _ = save_split(params["test_size"], params["seed"])
    print("wrote %s: %d train reviews, %d test reviews" % (SPLIT_FILE, len(texts_train), len(texts_test)))


if __name__ == "__main__":
    main(sys.argv[1:])
