"""The first look (issue 19): a forked process computes the first patient's headline while Textual starts,
the app shows it marked as the calculator opening, then opens the calculator with the same numbers."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from io import StringIO

import pytest
from rich.console import Console
from textual.widgets import Static

from blinacalc import Patient, predict
from blinacalc.report import content as C
from blinacalc.tui import app as A
from blinacalc.tui import first as first_module
from blinacalc.tui.app import OPENING, make_app
from blinacalc.tui.first import FirstLook

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the first look is forked on Linux only")

DRAWS = 300
PATIENT = Patient(ecog=1, salvage_line=2, t411=True)  # t(4;11): a warning too


@pytest.fixture(autouse=True)
def no_other_thread():
    """The first look is forked only with no other thread running: an earlier test's helper threads (a
    prediction computed ahead, say) are waited for first."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(timeout=60)
    assert threading.active_count() == 1


def expected_lines(patient: Patient = PATIENT, alive_at: float | None = None) -> list[tuple[str, str]]:
    pred = predict(patient, draws=DRAWS, seed=0, alive_at_months=alive_at)
    return [(t.text, t.kind) for t in C.first_look(pred)]


def plain(static: Static) -> str:
    console = Console(file=StringIO(), width=400, color_system=None)
    console.print(static.content)
    return console.file.getvalue()


def gated_first_look(monkeypatch) -> int:
    """The first look's process waits until the test writes a byte to the descriptor returned (and the app
    waits for it as long as that takes)."""
    gate_out, gate_in = os.pipe()
    real = first_module._lines

    def gated(*args):
        os.read(gate_out, 1)
        return real(*args)

    monkeypatch.setattr(first_module, "_lines", gated)
    monkeypatch.setattr(A, "LOOK_WAIT", 60.0)
    return gate_in


async def until(pilot, condition, seconds: float = 6.0) -> None:
    """Let the app run until ``condition()`` holds, or ``seconds`` pass."""
    for _ in range(int(seconds / 0.02)):
        await pilot.pause(0.02)
        if condition():
            return


def reaped(look: FirstLook) -> bool:
    look.wait()
    try:
        os.waitpid(look.pid or -1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.parametrize("alive_at", [None, 6.0])
def test_the_first_look_has_the_calculators_words(tmp_path, alive_at):
    look = FirstLook.start(PATIENT, DRAWS, 0, alive_at, tmp_path)
    assert look is not None
    lines = look.lines(30)
    assert lines == expected_lines(alive_at=alive_at)
    words = " ".join(text for text, _ in lines)
    assert "Illustrative" in words and "t(4;11): yes" in words and "only 16 of 259" in words  # (Table 1)
    assert ("Given alive at 6 months: median" in words) == (alive_at == 6.0)
    assert reaped(look)


def test_a_first_look_that_fails_hands_nothing(tmp_path, monkeypatch):
    def failing(*args):
        raise RuntimeError("no draws")

    monkeypatch.setattr(first_module, "_lines", failing)
    look = FirstLook.start(PATIENT, DRAWS, 0, None, tmp_path)
    assert look is not None and look.lines(30) is None
    assert reaped(look)


def test_no_first_look_while_another_thread_runs(tmp_path):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert FirstLook.start(PATIENT, DRAWS, 0, None, tmp_path) is None
    finally:
        stop.set()
        other.join()


def test_no_first_look_for_draws_not_kept_on_disk(tmp_path):
    """Draws not kept on disk would be built twice (by the first look, then for the calculator), slower than
    the calculator alone: above the draws kept, or with no cache folder."""
    from blinacalc.core.defaults import MAX_CACHED_DRAWS

    assert FirstLook.start(PATIENT, MAX_CACHED_DRAWS + 1, 0, None, tmp_path) is None
    assert FirstLook.start(PATIENT, DRAWS, 0, None, None) is None


@pytest.mark.parametrize(
    "data",
    [b"", b"[", b"{}", b"[]", b'[["words", "shouting"]]', b'[["words"]]', b'[[1, "key"]]', b'"words"'],
)
def test_only_lines_as_sent_are_taken(data):
    assert first_module._parsed(data) is None


async def test_the_app_shows_the_first_look_then_the_calculator(tmp_path, monkeypatch):
    gate_in = gated_first_look(monkeypatch)
    look = FirstLook.start(PATIENT, DRAWS, 0, None, tmp_path)
    assert look is not None
    app = make_app(PATIENT, draws=DRAWS, first_look=look)
    shown: list[str] = []
    display = app._display

    def record(screen, update):
        display(screen, update)
        if app.first_look_shown and not shown:
            shown.append(plain(app.query_one("#first-look", Static)))

    app._display = record
    async with app.run_test(size=(100, 30)) as pilot:
        for action in ("pin", "export", "help", "command_palette"):  # they wait for the calculator
            assert not app.check_action(action, ())
        assert app.check_action("quit", ())
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles and not any("Compare" in t or "Export" in t for t in titles)  # nor its commands
        os.write(gate_in, b"x")
        await until(pilot, lambda: app._calculator is not None and app.screen.prediction is not None)
        await app.workers.wait_for_complete()
        assert shown, "no frame showed the first look"
        for text, _ in expected_lines():
            assert text in shown[0]
        assert OPENING in shown[0]  # marked: the calculator is still opening
        assert app.screen is app.calculator and app.check_action("pin", ())
        assert app.screen.prediction.to_dict() == predict(PATIENT, draws=DRAWS, seed=0).to_dict()
    assert reaped(look)


async def test_a_late_first_look_opens_the_calculator_at_once(tmp_path, monkeypatch):
    """The first run ever builds the draws: the first look is not waited for, and the calculator shows its
    result when the prediction (after that process) comes."""
    real = first_module._lines

    def slow(*args):
        time.sleep(0.5)
        return real(*args)

    monkeypatch.setattr(first_module, "_lines", slow)
    monkeypatch.setattr(A, "LOOK_WAIT", 0.01)
    look = FirstLook.start(PATIENT, DRAWS, 0, None, tmp_path)
    app = make_app(PATIENT, draws=DRAWS, first_look=look)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app._calculator is not None and app.screen.prediction is not None)
        assert not app.first_look_shown
        assert app.screen.prediction.to_dict() == predict(PATIENT, draws=DRAWS, seed=0).to_dict()
    assert reaped(look)


async def test_first_look_text_is_data_never_markup_or_control_codes(tmp_path, monkeypatch):
    hostile = [["[bold red]x[/] \x1b[2J\x07 \u202e", "key"], ["[link=http://x]y[/link]", "warning"]]
    monkeypatch.setattr(first_module, "_lines", lambda *args: hostile)
    monkeypatch.setattr(A.BlinacalcApp, "_open_calculator", lambda self: None)  # (the first look stays)
    look = FirstLook.start(PATIENT, DRAWS, 0, None, tmp_path)
    app = make_app(PATIENT, draws=DRAWS, first_look=look)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.first_look_shown)
        text = plain(app.query_one("#first-look", Static))
        assert "[bold red]x[/]" in text and "⚠ [link=http://x]y[/link]" in text  # as sent, not markup
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert reaped(look)


def _winsize(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_blinacalc_in_a_terminal_shows_the_first_look_then_the_calculator(tmp_path):
    """The command as a user runs it, in a pseudo-terminal: the headline's words come before the calculator's
    tabs, and q quits with nothing left running."""
    main, child = pty.openpty()
    _winsize(child, 30, 100)
    env = {**os.environ, "BLINACALC_HOME": str(tmp_path), "TERM": "xterm-256color"}
    cmd = [sys.executable, "-m", "blinacalc", "tui", "--ecog", "1", "--salvage-line", "7", "--draws", "300"]
    proc = subprocess.Popen(cmd, stdin=child, stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while b"Evidence & method" not in seen and time.monotonic() < deadline:
            if select.select([main], [], [], 1)[0]:
                seen += os.read(main, 65536)
        os.write(main, b"q")
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    break
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert b"Opening the calculator" in seen and b"Evidence & method" in seen
    assert seen.index(b"edian overall survival") < seen.index(b"Evidence & method")  # the number first
    assert b"Traceback" not in seen
    assert b"7th" not in seen and b"5th" in seen  # the first look's patient is the inputs' (as shown)


@pytest.mark.parametrize(
    "patient",
    [
        Patient(salvage_line=7, marrow_blasts=33.3333333),  # the pick list's last level; the box's 6 characters
        Patient(ecog=0, age=18.123456, marrow_blasts=100.0),
        Patient(age=80.0, marrow_blasts=0.5),
    ],
)
async def test_the_calculator_computes_for_the_patient_as_shown(patient):
    """The first look computes for ``as_shown(patient)`` (``blinacalc tui`` applies it before forking): the
    inputs show exactly that patient, so the calculator computes for it too, and says the same words."""
    from blinacalc.tui.values import as_shown
    from blinacalc.tui.widgets.inputs import InputsPanel

    shown = as_shown(patient)
    assert as_shown(shown) == shown
    app = make_app(patient, draws=DRAWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one(InputsPanel).patient == shown == app.screen.patient
        assert app.screen.prediction.to_dict() == predict(shown, draws=DRAWS, seed=0).to_dict()


def test_as_shown_values():
    from blinacalc.tui.values import as_shown, number_text

    assert [number_text(v) for v in (None, 40.0, 33.3333333, 5.12345, 18.123456, 100.0, 0.5)] == [
        "",
        "40",
        "33.333",
        "5.1235",
        "18.123",
        "100",
        "0.5",
    ]
    assert as_shown(Patient(salvage_line=7, marrow_blasts=33.3333333)) == Patient(salvage_line=5, marrow_blasts=33.333)


async def test_keys_during_the_first_look_leave_nothing_under_the_calculator(tmp_path, monkeypatch):
    """Found by review: help or the command palette opened during the first look stayed under the calculator
    (and a second palette then crashed the app). Until the calculator opens only q acts."""
    gate_in = gated_first_look(monkeypatch)
    look = FirstLook.start(PATIENT, DRAWS, 0, None, tmp_path)
    app = make_app(PATIENT, draws=DRAWS, first_look=look)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in ("ctrl+p", "question_mark", "p", "right_square_bracket", "ctrl+c"):
            await pilot.press(key)
        os.write(gate_in, b"x")
        await until(pilot, lambda: app._calculator is not None and app.screen.prediction is not None)
        await app.workers.wait_for_complete()
        assert [type(s).__name__ for s in app.screen_stack] == ["Screen", "MainScreen"]
        assert app.screen.query_one("TabbedContent").active == "survival"  # ] did not act
        await pilot.press("ctrl+p")  # the palette, once, over the calculator
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"
    assert reaped(look)


async def test_quitting_during_the_first_look_does_not_open_the_calculator(tmp_path):
    look = FirstLook.start(PATIENT, DRAWS, 0, None, tmp_path)
    app = make_app(PATIENT, draws=DRAWS, first_look=look)
    async with app.run_test(size=(100, 30)):
        app.exit()
        app._open_calculator()  # (what the first look's frame then asks for)
        assert app._calculator is None
    assert reaped(look)  # (by the test: no calculator's prediction waited for it)


async def test_ctrl_c_says_how_to_quit_in_plain_words():
    app = make_app(PATIENT, draws=DRAWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["Press q to quit the app."]
