"""Cohort tools: ``blinacalc batch`` (the calculator over a CSV file) and ``blinacalc validate``
(observed against predicted survival on your own cohort), and the synthetic cohort generator.

These are the only run-time commands that may import lifelines (``validate``); ``batch`` needs numpy only.
"""


class CohortFileError(Exception):
    """The file as a whole cannot be used: one line for the user (exit code 2). (Here rather than in
    :mod:`~blinacalc.cohort.read`, so that the CLI can catch it without importing ``csv`` for every command.)"""
