"""How data/ratings.csv was made: 60 users rate 12-27 of 40 items each, from a seeded low-rank
model (3 latent factors, user and item biases, noise), rounded to 1..5 stars.

    python data/make_ratings.py > data/ratings.csv

(The shipped file was written with numpy 1.24; other numpy versions may draw other numbers.)
"""
import csv
import sys

import numpy as np


def make_ratings(seed=20261128, n_users=60, n_items=40, k=3):
    rng = np.random.default_rng(seed)
    p = rng.normal(0, 0.6, (n_users, k))
    q = rng.normal(0, 0.6, (n_items, k))
    bu = rng.normal(0, 0.4, n_users)
    bi = rng.normal(0, 0.5, n_items)
    rows = []
    for u in range(n_users):
        items = rng.choice(n_items, size=int(rng.integers(12, 28)), replace=False)
        for i in sorted(items):
            r = 3.4 + bu[u] + bi[i] + p[u] @ q[i] + rng.normal(0, 0.35)
            rows.append((u, int(i), int(np.clip(np.rint(r), 1, 5))))
    return rows


if __name__ == "__main__":
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["user_id", "item_id", "rating"])
    writer.writerows(make_ratings())
