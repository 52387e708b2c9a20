"""Benchmarks (filled in below)."""
BENCHMARKS: list = []
