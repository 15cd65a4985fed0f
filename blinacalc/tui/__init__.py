"""The Textual app: ``make_app`` builds it for the entry point and the tests alike. No maths here.

Textual redraws a changed screen on a timer of at most ``TEXTUAL_FPS`` updates a second (default 60): a
new result waited up to 16.7 ms (8 on average) for its frame. The app asks for up to 240 (a user's own
``TEXTUAL_FPS`` wins); Textual still draws only when something changed. Set here, before Textual is
imported, because Textual reads it once.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "240")
