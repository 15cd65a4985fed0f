"""Turns a :class:`~blinacalc.core.result.Prediction` into words, tables and plots.

``content`` builds a neutral document (sections of tables, text, icon arrays and plots);
``richview`` and ``markdown`` render it. The CLI and the TUI share these pieces. No maths here:
every number shown is read from the prediction or the evidence.
"""

# The file formats a report can be written in, and their extensions ("rich" is terminal text).
EXTENSIONS = {"rich": ".txt", "markdown": ".md", "html": ".html", "svg": ".svg"}
REPORT_FORMATS = tuple(EXTENSIONS)
# The formats a report is exported to as a file from the TUI (terminal text is not one).
EXPORT_EXTENSIONS = {fmt: ext for fmt, ext in EXTENSIONS.items() if fmt != "rich"}
