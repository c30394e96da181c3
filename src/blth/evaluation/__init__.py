"""What a trained network is measured by: its predictive passes
(:mod:`.inference`), accuracy, calibration and uncertainty (:mod:`.metrics`), selective
prediction (:mod:`.selective`), ensembles of tickets (:mod:`.ensembles`) and inference
cost (:mod:`.cost`).
"""
