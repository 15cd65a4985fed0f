"""Keep the developer's machine out of the tests: every file blinacalc touches lives in a temp dir."""

from __future__ import annotations

import pytest

from blinacalc.core import drawcache, model


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("blinacalc-home")
    monkeypatch.setenv("BLINACALC_HOME", str(home))
    for var in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"):
        monkeypatch.delenv(var, raising=False)
    yield home
    model.use_disk_cache(None)


@pytest.fixture
def cache_dir(tmp_path):
    """The draws (and what is kept beside them) on disk in a temp folder, nothing held in memory."""
    drawcache.clear()
    model.use_disk_cache(tmp_path)
    yield tmp_path
    model.use_disk_cache(None)
    drawcache.clear()
