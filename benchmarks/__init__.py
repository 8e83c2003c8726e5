"""Benchmarks that start their own servers and services on loopback: `python -m benchmarks.<name>`."""
