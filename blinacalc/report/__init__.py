"""Turns a :class:`~blinacalc.core.result.Prediction` into words, tables and plots.

``content`` builds a neutral document (sections of tables, text, icon arrays and plots);
``richview`` and ``markdown`` render it. The CLI and the TUI share these pieces. No maths here:
every number shown is read from the prediction or the evidence.
"""
