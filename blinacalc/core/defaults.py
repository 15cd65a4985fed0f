"""The run's fixed facts, in one place and cheap to import (no numpy): draws, horizon, landmark months.

Every face (CLI help, settings, report, batch, TUI) reads these rather than repeating them.
"""

from __future__ import annotations

DEFAULT_DRAWS = 2000
MIN_DRAWS, MAX_DRAWS = 100, 100_000
DRAWS_RANGE = f"{MIN_DRAWS} to {MAX_DRAWS:,}"
MAX_CACHED_DRAWS = 5000  # draws kept on disk between runs up to this many (about 24 MB at the limit)
HORIZON = 60.0  # months: OS is published to 5 years (Topp 2021 Fig. 1A); no curve goes beyond
LANDMARK_MONTHS = (6, 12, 24, 36, 48, 60)  # the months with intervals in every prediction
DEFAULT_LANDMARKS = (6, 12, 24, 36, 60)  # the months the report, the app and batch show by default
