"""Cohort tools: ``blinacalc batch`` (the calculator over a CSV file) and ``blinacalc validate``
(observed against predicted survival on your own cohort), and the synthetic cohort generator.

These are the only run-time commands that may import lifelines (``validate``); ``batch`` needs numpy only.
"""
