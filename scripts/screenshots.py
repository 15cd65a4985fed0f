"""Export the user guide's screenshots with the app itself (SVG), headless.

Run: python scripts/screenshots.py   (writes docs/images/tui-*.svg)
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


async def shot(name: str, size: tuple[int, int], keys: tuple[str, ...] = (), ecog_after_pin: int | None = None) -> None:
    from blinacalc import Patient
    from blinacalc.tui.app import make_app

    app = make_app(Patient(ecog=1, salvage_line=2, prior_hsct=False))
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        if ecog_after_pin is not None:
            app.screen.query_one("#ecog").value = ecog_after_pin
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        from blinacalc.report.export import local_fonts_only

        (IMAGES / f"{name}.svg").write_text(local_fonts_only(app.export_screenshot()), encoding="utf-8")


async def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    await shot("tui-80x24", (80, 24))
    await shot("tui-120x40", (120, 40))
    await shot("tui-compare", (120, 40), keys=("p",), ecog_after_pin=0)
    await shot("tui-response", (120, 40), keys=("2",))
    from blinacalc import Patient
    from blinacalc.store import Scenario, Store

    Store().save_scenario(Scenario("current", Patient(ecog=1, salvage_line=2, prior_hsct=False), "as seen today"))
    Store().save_scenario(Scenario("ecog-0", Patient(ecog=0, salvage_line=2, prior_hsct=False), "if ECOG improves"))
    await shot("tui-scenarios", (100, 30), keys=("o",))


if __name__ == "__main__":
    os.environ["BLINACALC_HOME"] = tempfile.mkdtemp()  # never the user's own files
    asyncio.run(main())
    print(f"wrote {IMAGES}")
