"""Lottery engine: scores, global pruning, masks, randomisation branches, transplantation."""
