"""The model: a small MLP over hashed bag-of-words counts."""
import torch
from torch import nn


class SentimentClassifier(nn.Module):
    def __init__(self, n_features=2048, hidden=32, dropout=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def forward(self, bag):
        """Logits [batch] for bag-of-words counts [batch, n_features]."""
        return self.net(torch.log1p(bag)).squeeze(-1)


class WithProbability(nn.Module):
    """What is exported: counts [batch, n_features] -> probability of "positive" [batch, 1]."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, bag):
        return torch.sigmoid(self.classifier(bag)).unsqueeze(-1)
