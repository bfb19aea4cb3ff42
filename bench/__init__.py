"""Benchmarks: ``python -m bench`` runs them and writes the figures into BENCHMARKS.md."""
