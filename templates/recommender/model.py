"""The model: biased matrix factorisation, rating = mean + user bias + item bias + <user, item>."""
import torch
from torch import nn


class MatrixFactorization(nn.Module):
    def __init__(self, n_users, n_items, factors=8, mean=3.0):
        super().__init__()
        self.user = nn.Embedding(n_users, factors)
        self.item = nn.Embedding(n_items, factors)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        self.register_buffer("mean", torch.tensor(float(mean)))
        for table in (self.user, self.item):
            nn.init.normal_(table.weight, 0.0, 0.1)
        for table in (self.user_bias, self.item_bias):
            nn.init.zeros_(table.weight)

    def forward(self, user_id, item_id):
        """Predicted ratings [batch] for id vectors [batch] (int64)."""
        dot = (self.user(user_id) * self.item(item_id)).sum(-1)
        return self.mean + self.user_bias(user_id).squeeze(-1) + self.item_bias(item_id).squeeze(-1) + dot


class Served(nn.Module):
    """What is exported: user_id, item_id [batch] (int64) -> rating [batch, 1], clamped to 1..5."""

    def __init__(self, mf):
        super().__init__()
        self.mf = mf

    def forward(self, user_id, item_id):
        return torch.clamp(self.mf(user_id, item_id), 1.0, 5.0).unsqueeze(-1)
