"""The model: a small CNN for 8x8 images. It scales raw pixel values (0..16) itself."""
import torch
from torch import nn

from data import N_CLASSES


class DigitsCNN(nn.Module):
    def __init__(self, channels=16, dropout=0.1):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.Conv2d(channels, channels * 2, kernel_size=3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(channels * 2 * 4 * 4, 64),
            nn.ReLU(),
            nn.Linear(64, N_CLASSES),
        )

    def forward(self, image):
        """Logits [batch, 10] for images [batch, 1, 8, 8] of raw pixel values."""
        return self.head(self.features(image / 16.0))


class WithProbabilities(nn.Module):
    """What is exported: images [batch, 1, 8, 8] -> class probabilities [batch, 10]."""

    def __init__(self, cnn):
        super().__init__()
        self.cnn = cnn

    def forward(self, image):
        return torch.softmax(self.cnn(image), dim=-1)
