"""How the report's paragraphs look in the terminal, by kind (``content.Text``). Free of imports: the TUI's
first look draws a headline with them before numpy, rich's tables or the report code are loaded."""

from __future__ import annotations

TEXT = {"key": "bold", "note": "dim", "warning": "bold #E69F00", "plain": ""}
WARNING_MARK = "⚠ "  # before a warning's words: a warning reads as one without colour too
