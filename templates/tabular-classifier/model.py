"""The model: a small MLP that standardises raw features itself, so the served model takes raw rows."""
import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, n_features, hidden, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        """Logits, shape [batch]."""
        return self.net((x - self.mean) / self.std).squeeze(-1)


class WithProbability(nn.Module):
    """What is exported: raw features [batch, n_features] -> probability of "flag" [batch, 1]."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, features):
        return torch.sigmoid(self.classifier(features)).unsqueeze(-1)
