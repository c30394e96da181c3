"""Mean-field Gaussian variational layers with pruning masks, and their KL divergence.

- :mod:`~blth.bayes.masked`: the 0/1 pruning masks and the deterministic masked layers;
- :mod:`~blth.bayes.draw`: :class:`DrawState`, what the layers share during one forward;
- :mod:`~blth.bayes.sampling`: S weight sets from one draw of noise, with a CPU-friendly backward;
- :mod:`~blth.bayes.layer`: :class:`VILayer`, the sampling strategies (per_sample, stacked);
- :mod:`~blth.bayes.estimators`: local reparameterisation and Flipout;
- :mod:`~blth.bayes.kl`: closed-form and Monte-Carlo KL;
- :mod:`~blth.bayes.linear`, :mod:`~blth.bayes.conv`, :mod:`~blth.bayes.batchnorm`: the layers;
- :mod:`~blth.bayes.factory`: :class:`Layers`, one model definition for both kinds of network.
"""

from blth.bayes.batchnorm import SampleBatchNorm2d
from blth.bayes.conv import VIConv2d
from blth.bayes.draw import DrawState
from blth.bayes.factory import PRUNABLE_TYPES, Layers
from blth.bayes.layer import VILayer
from blth.bayes.linear import VILinear
from blth.bayes.masked import MaskedConv2d, MaskedLinear
from blth.hparams import BayesHparams

__all__ = [
    "PRUNABLE_TYPES",
    "BayesHparams",
    "DrawState",
    "Layers",
    "MaskedConv2d",
    "MaskedLinear",
    "SampleBatchNorm2d",
    "VIConv2d",
    "VILayer",
    "VILinear",
]
