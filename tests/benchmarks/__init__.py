"""Benchmarks: run by ``./dev bench [NAME ...]``, never by the test suite.

Each module here has a ``main()`` that prints a table (median, p95, and a ratio against a
baseline measured in the same run), because these machines are shared and noisy: an absolute
time means little, a ratio measured side by side means more.
"""
