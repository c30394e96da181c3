"""The workflow's config and each job's identity: the config check before any job
(:mod:`.check`, :mod:`.origins`, :mod:`.sizes`), the typed run descriptions
(:mod:`.runspec`, :mod:`.hparams`) and the code fingerprint (:mod:`.fingerprint`).
Torch-free.
"""
