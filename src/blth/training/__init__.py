"""The parts of :func:`blth.training.train.train`: one epoch's optimiser steps (:mod:`.epoch`), a
training's live state and its steps (:mod:`.session`), and the scratch checkpoint a restarted
job resumes from (:mod:`.checkpoint`)."""
