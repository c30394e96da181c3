"""blth: Bayesian lottery tickets (Kuhn et al., 2026) as a library and a Snakemake workflow."""

__version__ = "0.6.0"
