"""The data: 1,180 ratings (1..5 stars) of 40 items by 60 users, in data/ratings.csv."""
import csv
import os
from collections import namedtuple

import numpy as np

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ratings.csv")
# Written by the pipeline's prepare stage (prepare.py); train and evaluate read it when present.
SPLIT_FILE = os.path.join("data", "split.npz")
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


def save_split(split, test_size, seed, path=SPLIT_FILE):
    """Writes `split` to `path` with the test_size and seed that made it (same inputs, same bytes)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    arrays = {"%s_%s" % (part, field): getattr(getattr(split, part), field) for part in ("train", "test") for field in Ratings._fields}
    np.savez(path, test_size=float(test_size), seed=int(seed), n_users=split.n_users, n_items=split.n_items, **arrays)


def load_prepared(test_size=0.2, seed=42, path=SPLIT_FILE):
    """The split prepare.py wrote to data/split.npz when it was made with this test_size and seed,
    else a fresh one (so `python train.py --seed=7` never trains on another seed's split)."""
    if os.path.exists(path):
        saved = np.load(path)
        if float(saved["test_size"]) == float(test_size) and int(saved["seed"]) == int(seed):
            part = lambda name: Ratings(*(saved["%s_%s" % (name, field)] for field in Ratings._fields))  # noqa: E731
            return Split(part("train"), part("test"), int(saved["n_users"]), int(saved["n_items"]))
    return load_data(test_size, seed)
