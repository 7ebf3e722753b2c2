"""Tandem benchmarks (``make bench``). Never part of the timed test suite; see docs/performance.md."""
