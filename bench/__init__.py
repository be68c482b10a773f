"""Benchmarks for the Customer Mindset bot: `bench/run` (or `python -m bench`) runs them; see bench/README.md."""
