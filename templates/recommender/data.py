"""The data: 1,180 ratings (1..5 stars) of 40 items by 60 users, in data/ratings.csv."""
import csv
import os
from collections import namedtuple

import numpy as np

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ratings.csv")
Ratings = namedtuple("Ratings", "users items ratings")
Split = namedtuple("Split", "train test n_users n_items")


def read_ratings(path=DATA_FILE):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return Ratings(
        np.array([int(r["user_id"]) for r in rows], dtype=np.int64),
        np.array([int(r["item_id"]) for r in rows], dtype=np.int64),
        np.array([float(r["rating"]) for r in rows], dtype=np.float32),
    )


def load_data(test_size=0.2, seed=42, path=DATA_FILE):
    """A seeded random split of the ratings; ids run from 0 to n_users-1 and n_items-1."""
    r = read_ratings(path)
    order = np.random.default_rng(seed).permutation(len(r.ratings))
    n_test = int(round(len(order) * test_size))
    test, train = order[:n_test], order[n_test:]
    pick = lambda idx: Ratings(r.users[idx], r.items[idx], r.ratings[idx])  # noqa: E731
    return Split(pick(train), pick(test), int(r.users.max()) + 1, int(r.items.max()) + 1)
