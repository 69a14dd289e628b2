"""Pipeline stage `prepare`: writes the seeded train/test split of data/ratings.csv to data/split.npz."""
import sys

from data import SPLIT_FILE, load_data, save_split
from params import load_params


def main(argv):
    params = load_params(argv)
    data = load_data(params["test_size"], params["seed"])
    save_split(data, params["test_size"], params["seed"])
    print("wrote %s: %d train ratings, %d test ratings" % (SPLIT_FILE, len(data.train.ratings), len(data.test.ratings)))


if __name__ == "__main__":
    main(sys.argv[1:])
