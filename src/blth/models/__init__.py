"""Models: LeNet, CIFAR ResNet, CIFAR VGG and SimpleViT, or a torchvision or user's network
(blth.models.convert), each deterministic or Bayesian."""
