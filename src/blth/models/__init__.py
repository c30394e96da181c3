"""Models: LeNet, CIFAR ResNet, CIFAR VGG and SimpleViT, or a torchvision or user's network
(blth.models.convert), each deterministic or Bayesian."""

from blth.model_names import EXAMPLES
from blth.models.base import Classifier
from blth.models.registry import build

__all__ = ["EXAMPLES", "Classifier", "build"]
