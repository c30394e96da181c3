"""DrawState: the one object a network's variational layers share during a forward."""

import torch

from blth.bayes.draw import DrawState
from blth.bayes.hparams import BayesHparams
from blth.bayes.linear import VILinear
from blth.models.registry import build


def test_views_of_the_network_input_are_recognised_until_it_is_written():
    x = torch.randn(4, 1, 8, 8)
    state = DrawState(3, per_sample=True, network_input=x)
    assert state.is_network_input(x) and state.is_network_input(x.flatten(1))
    assert not state.is_network_input(x.clone()) and not state.is_network_input(x[1:])
    x.add_(1)  # an in-place write: the input is no longer the one of the draw
    assert not state.is_network_input(x)
    assert not DrawState(3).is_network_input(x)  # stacked: nothing is shared across passes


def test_stacked_samples_follow_the_strategy():
    assert DrawState(5, per_sample=True).stacked_samples == 1
    assert DrawState(5, per_sample=False).stacked_samples == 5


def test_the_model_hands_one_state_to_every_layer_per_forward():
    bayes = BayesHparams(samples=2)
    net = build("lenet_300_100", (1, 8, 8), 10, bayes, seed=0)
    net.generator = torch.Generator().manual_seed(0)
    net(torch.randn(2, 1, 8, 8), 2)
    first = {id(layer.draw_state) for _, layer in net._vi}
    net(torch.randn(2, 1, 8, 8), 2)
    second = {id(layer.draw_state) for _, layer in net._vi}
    assert len(first) == len(second) == 1 and first != second
    state = net.net.fc.draw_state
    assert state.per_sample and state.samples == 2 and state.active is None  # passes are over
    assert state.generator is net.generator and state.cpu_noise == bayes.cpu_noise


def test_a_draw_drops_what_the_previous_one_built():
    layer = VILinear(3, 2)
    layer.draw(DrawState(2))
    first = layer.drawn_stack("weight")
    assert layer.drawn_stack("weight") is first  # built once per draw
    layer.draw(DrawState(2))
    assert layer.drawn_stack("weight") is not first
    assert layer.drawn_stack("weight").shape == (2, 2, 3)
