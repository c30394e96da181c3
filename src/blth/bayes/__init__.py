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
