"""Models: LeNet, CIFAR ResNet, CIFAR VGG and SimpleViT, each deterministic or Bayesian."""

from blth.models.base import Classifier
from blth.models.registry import EXAMPLES, build

__all__ = ["EXAMPLES", "Classifier", "build"]
