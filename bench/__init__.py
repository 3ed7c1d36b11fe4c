"""Benchmarks: `make bench` (`python -m bench`). They print ratios; they are not tests."""
