"""Where blinacalc keeps files, and how: saved scenarios, settings, atomic writes, nothing lost.

Every path goes through :func:`paths`, which honours ``BLINACALC_HOME`` (tests and portable
installs set it); otherwise the platform's user directories from platformdirs are used.
Nothing here creates a directory until something is saved.

The rules, each with a test in ``tests/test_store.py``:

* writes are atomic (temporary file in the same folder, flush, fsync, rename);
* files are created 0600 and folders 0700;
* a file that cannot be read or parsed is moved aside as ``<name>.corrupt-<time><suffix>``,
  bytes intact, with one warning; it is never deleted or written over;
* saving re-reads the file under an exclusive lock, so two instances saving at once lose nothing;
* a file in a newer format is refused and never rewritten;
* scenario names and labels are checked, and anything that looks like a date or a record
  number is refused: blinacalc stores no patient identifiers.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import field, replace
from pathlib import Path

from blinacalc._fs import (
    PRIVATE_FILE,
    NotRegularFileError,
    check_regular_target,
    make_private_dirs,
    write_atomic,
)
from blinacalc._text import LazyPattern, parse_int
from blinacalc._value import value_type
from blinacalc.core.defaults import DEFAULT_DRAWS, DEFAULT_LANDMARKS, DRAWS_RANGE, LANDMARK_MONTHS, MAX_DRAWS, MIN_DRAWS
from blinacalc.core.patient import InputError, Patient

__all__ = [
    "HOME_ENV",
    "NewerFormatError",
    "Paths",
    "Scenario",
    "ScenarioExistsError",
    "Settings",
    "Store",
    "StoreError",
    "UnknownScenarioError",
    "paths",
    "write_atomic",
]

HOME_ENV = "BLINACALC_HOME"
SCENARIOS_FORMAT = 1
SETTINGS_FORMAT = 1
MAX_FILE_BYTES = 1_000_000  # settings and scenarios are small; anything larger is not ours
MAX_NESTING = 32  # deeper JSON/TOML than any file blinacalc writes is refused before parsing

NAME_RE = LazyPattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
NAME_RULE = "1-32 letters, digits, '.', '_' or '-', starting with a letter or digit"
MAX_LABEL = 60
# Characters that start markup in rich/Textual, HTML or markdown tables: refused in new labels (labels in
# older files are still shown safely: every face escapes them).
MARKUP_CHARACTERS = ("[", "]", "<", ">", "{", "}", "|", "`", "\\")
_MARKUP_RE = LazyPattern("[" + re.escape("".join(MARKUP_CHARACTERS)) + "]")
# A date (21/11/1960, 1960-11-21) or a long run of digits (a record number) is not asked for and not kept.
_IDENTIFIER_RE = LazyPattern(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{6,}")

SETTING_KEYS = ("theme", "draws", "landmarks")
LANDMARK_CHOICES = LANDMARK_MONTHS


@value_type
class Paths:
    config: Path
    data: Path
    cache: Path

    @property
    def settings(self) -> Path:
        return self.config / "settings.toml"

    @property
    def scenarios(self) -> Path:
        return self.data / "scenarios.json"


def paths() -> Paths:
    """The config, data and cache directories (not created here)."""
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "cache")
    import platformdirs  # lazy: only commands that touch files pay for it

    return Paths(
        Path(platformdirs.user_config_dir("blinacalc", appauthor=False)),
        Path(platformdirs.user_data_dir("blinacalc", appauthor=False)),
        Path(platformdirs.user_cache_dir("blinacalc", appauthor=False)),
    )


class StoreError(Exception):
    """A file could not be read or written. The message is one line for the user (exit code 1)."""


class NewerFormatError(StoreError):
    """The file was written by a newer blinacalc; it is left exactly as it is."""


class UnknownScenarioError(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        saved = ", ".join(known) if known else "none"
        super().__init__(f"no saved scenario named {name!r}; saved: {saved}")


class ScenarioExistsError(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"a scenario named {name!r} is already saved")
        self.name = name


# --- values -------------------------------------------------------------------------------------
def _refuse_identifiers(field_name: str, text: str) -> None:
    if _IDENTIFIER_RE.search(text):
        raise InputError(
            field_name,
            f"{text!r} looks like a date or a record number; blinacalc stores no patient identifiers "
            "(use a description such as 'if ECOG improves')",
        )


def check_name(name: str) -> str:
    """A scenario name: short, plain characters (so it can never be a path), no identifiers."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise InputError("name", f"expected {NAME_RULE}, got {name!r}")
    _refuse_identifiers("name", name)
    return name


def check_label(label: str | None, *, allow_markup: bool = False) -> str | None:
    """An optional short description; blank means none. ``allow_markup`` is for labels read back from
    files written before markup characters were refused (they are displayed escaped)."""
    if label is None or (isinstance(label, str) and not label.strip()):
        return None
    if not isinstance(label, str) or len(label.strip()) > MAX_LABEL or not label.strip().isprintable():
        raise InputError("label", f"expected at most {MAX_LABEL} printable characters on one line, got {label!r}")
    label = label.strip()
    if not allow_markup and _MARKUP_RE.search(label):
        raise InputError(
            "label", f"{label!r} contains {' '.join(MARKUP_CHARACTERS)}, which look like markup; describe it in words"
        )
    _refuse_identifiers("label", label)
    return label


@value_type
class Scenario:
    """A named patient for what-if comparisons: the four factors and an optional label."""

    name: str
    patient: Patient
    label: str | None = None

    def __post_init__(self) -> None:
        check_name(self.name)
        # Markup characters are refused when a label is saved (Store.save_scenario), not when an older
        # file is read back: those labels stay, and every face shows them escaped.
        object.__setattr__(self, "label", check_label(self.label, allow_markup=True))

    @property
    def title(self) -> str:
        """The name, with the label in brackets if there is one."""
        return f"{self.name} ({self.label})" if self.label else self.name

    def to_dict(self) -> dict[str, object]:
        return {**self.patient.to_dict(), "label": self.label}

    @classmethod
    def from_dict(cls, name: str, data: object) -> Scenario:
        if not isinstance(data, dict) or not set(data) <= {*Patient().to_dict(), "label"}:
            raise ValueError(f"scenario {name!r} has unexpected fields")
        factors = {k: v for k, v in data.items() if k != "label"}
        return cls(name, Patient(**factors), data.get("label"))


@value_type
class Settings:
    """User settings. ``theme`` None means Textual's default; ``draws`` and ``landmarks`` set the defaults
    for reports and the app (command-line flags still win)."""

    theme: str | None = None
    draws: int = DEFAULT_DRAWS
    landmarks: tuple[int, ...] = DEFAULT_LANDMARKS
    problems: tuple[str, ...] = field(default=(), compare=False)

    def to_toml(self) -> str:
        lines = [
            "# blinacalc settings. `blinacalc settings` shows them; `blinacalc settings set KEY VALUE` changes them.",
            f"format = {SETTINGS_FORMAT}",
        ]
        if self.theme is not None:
            lines.append(f"theme = {json.dumps(self.theme)}")  # a JSON string is a valid TOML basic string
        lines.append(f"draws = {self.draws}")
        lines.append(f"landmarks = [{', '.join(str(m) for m in self.landmarks)}]")
        return "\n".join(lines) + "\n"

    def shown(self) -> dict[str, object]:
        return {"theme": self.theme, "draws": self.draws, "landmarks": list(self.landmarks)}


def parse_setting(key: str, value: object) -> object:
    """Check one setting (from TOML or from the command line, as text); raises InputError naming the key."""
    if key == "theme":
        if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9-]{1,40}", value):
            raise InputError("theme", f"expected a theme name such as textual-dark or nord, got {value!r}")
        return value
    if key == "draws":
        if isinstance(value, str):
            number = parse_int(value)
            value = value if number is None else number
        if isinstance(value, bool) or not isinstance(value, int) or not MIN_DRAWS <= value <= MAX_DRAWS:
            raise InputError("draws", f"expected an integer from {DRAWS_RANGE}, got {value!r}")
        return value
    if key == "landmarks":
        allowed = ", ".join(map(str, LANDMARK_CHOICES))
        if isinstance(value, str):
            months = [parse_int(v) for v in value.replace(" ", "").split(",") if v]
            if any(m is None for m in months):
                raise InputError("landmarks", f"expected months from {allowed}, got {value!r}")
            value = months
        if (
            not isinstance(value, list)
            or not value
            or any(isinstance(m, bool) or m not in LANDMARK_CHOICES for m in value)
        ):
            raise InputError("landmarks", f"expected one or more months from {allowed}, got {value!r}")
        return tuple(sorted(set(value)))
    raise InputError("key", f"expected one of {', '.join(SETTING_KEYS)}, got {key!r}")


# --- files --------------------------------------------------------------------------------------
@contextmanager
def _locked(directory: Path, name: str) -> Iterator[None]:
    """An exclusive lock on ``directory/name`` (a lock file kept beside the data), held for the block."""
    make_private_dirs(directory)
    lock = directory / name
    try:
        check_regular_target(lock)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, PRIVATE_FILE)
    except OSError as exc:
        raise StoreError(f"cannot use the lock file {lock}: {exc.strerror or exc}") from None
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]  # Windows only; mypy runs on Linux
        else:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def move_aside(path: Path) -> Path:
    """Rename ``path`` to ``<stem>.corrupt-<time>[-n]<suffix>`` beside it, never replacing anything."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for n in range(1000):
        target = path.with_name(f"{path.stem}.corrupt-{stamp}{f'-{n}' if n else ''}{path.suffix}")
        try:
            os.link(path, target)  # fails if target exists
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EISDIR) or target.exists():
                raise
            os.rename(path, target)  # no hard links here (or a folder): target was just checked free
            return target
        os.unlink(path)
        return target
    raise StoreError(f"cannot move {path} aside: too many corrupt copies")  # pragma: no cover


def read_bounded(path: Path) -> bytes:
    """The bytes of a regular file, at most ``MAX_FILE_BYTES + 1`` of them. A FIFO, device, socket or folder
    raises :class:`NotRegularFileError` at once (opened non-blocking, so a FIFO cannot hang the program)."""
    import stat

    check_regular_target(path)  # before opening: opening a device can have side effects
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            check_regular_target(path)  # raises with the kind named
            raise NotRegularFileError(path, "special file")  # pragma: no cover - replaced meanwhile
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_nesting(raw: bytes, limit: int = MAX_NESTING) -> None:
    """Refuse JSON or TOML nested deeper than ``limit`` brackets before a recursive parser sees it.

    Counts ``[`` and ``{`` outside strings (a conservative scan: quotes are tracked, escapes skipped)."""
    depth, quote, escaped = 0, 0, False
    for byte in raw:
        if byte == 0x0A:  # strings do not span lines in what blinacalc writes; comments end here too
            quote, escaped = 0, False
        elif quote:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = quote == 0x22
            elif byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):  # " '
            quote = byte
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                raise ValueError(f"nested more than {limit} levels deep")
        elif byte in (0x5D, 0x7D):
            depth = max(depth - 1, 0)


Warn = Callable[[str], None]


class Store:
    """Saved scenarios and settings under :func:`paths`. ``warn`` receives one-line warnings
    (the CLI prints them on stderr, the app shows a notification)."""

    def __init__(self, warn: Warn | None = None, where: Paths | None = None) -> None:
        self.paths = where or paths()
        self._warn = warn or (lambda message: None)

    # --- reading with recovery -----------------------------------------------------------------
    def _read(self, path: Path, parse: Callable[[bytes], object], lock: str, held: bool = False) -> object | None:
        """Parse ``path``; None if it is missing. A file that cannot be read or parsed is moved aside
        (under the lock, and only if it is still the same bytes) and None is returned. ``held``: the
        caller holds the lock already (flock is not re-entrant across file descriptors)."""
        try:
            raw = read_bounded(path)
        except FileNotFoundError:
            return None
        except NotRegularFileError as exc:
            if not path.is_dir():  # a FIFO, device or socket: never read (it could block), never moved
                raise StoreError(str(exc.strerror)) from None
            raw, problem = None, "it is a folder"
        except OSError as exc:
            raw, problem = None, exc.strerror or str(exc)
        else:
            assert raw is not None
            try:
                if len(raw) > MAX_FILE_BYTES:
                    raise ValueError(f"larger than {MAX_FILE_BYTES:,} bytes")
                check_nesting(raw)
                return parse(raw)
            except NewerFormatError:
                raise
            except (ValueError, TypeError, KeyError, InputError, RecursionError) as exc:
                problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        try:
            with nullcontext() if held else _locked(path.parent, lock):
                try:
                    now = read_bounded(path)
                except FileNotFoundError:
                    return None
                except OSError:
                    now = None
                if now != raw:  # another instance replaced it meanwhile: read that instead
                    return self._read(path, parse, lock, held)
                aside = move_aside(path)
        except (OSError, StoreError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self._warn(f"{path} cannot be read ({problem}) and could not be moved aside ({why})")
            return None
        self._warn(f"{path} could not be read ({problem}); moved it to {aside.name} and started afresh")
        return None

    # --- scenarios -----------------------------------------------------------------------------
    @staticmethod
    def _parse_scenarios(raw: bytes) -> dict[str, Scenario]:
        doc = json.loads(raw.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("schema") != "blinacalc.scenarios":
            raise ValueError("not a blinacalc scenarios file")
        fmt = doc.get("format")
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > SCENARIOS_FORMAT:
            raise NewerFormatError(
                f"the saved scenarios were written by a newer blinacalc (format {fmt}; this version "
                f"reads format {SCENARIOS_FORMAT}); upgrade blinacalc. The file was left unchanged"
            )
        if fmt != SCENARIOS_FORMAT or not isinstance(doc.get("scenarios"), dict):
            raise ValueError(f"unexpected format {fmt!r}")
        return {name: Scenario.from_dict(name, data) for name, data in doc["scenarios"].items()}

    def scenarios(self, *, _held: bool = False) -> dict[str, Scenario]:
        """Every saved scenario by name (sorted). Raises NewerFormatError for a newer file."""
        found = self._read(self.paths.scenarios, self._parse_scenarios, "scenarios.lock", _held)
        assert found is None or isinstance(found, dict)
        return dict(sorted((found or {}).items()))

    def scenario(self, name: str) -> Scenario:
        found = self.scenarios()
        if name not in found:
            raise UnknownScenarioError(name, list(found))
        return found[name]

    def _change_scenarios(self, change: Callable[[dict[str, Scenario]], None]) -> None:
        """Re-read under the lock, apply ``change``, write atomically: concurrent saves all survive."""
        path = self.paths.scenarios
        try:
            with _locked(path.parent, "scenarios.lock"):
                current = self.scenarios(_held=True)
                change(current)
                doc = {
                    "schema": "blinacalc.scenarios",
                    "format": SCENARIOS_FORMAT,
                    "scenarios": {name: s.to_dict() for name, s in sorted(current.items())},
                }
                text = json.dumps(doc, indent=2) + "\n"
                if len(text.encode()) > MAX_FILE_BYTES:  # it could not be read back: refuse, lose nothing
                    raise StoreError(
                        f"cannot save to {path}: the saved scenarios would exceed {MAX_FILE_BYTES:,} bytes; "
                        "delete some first (blinacalc scenarios delete NAME)"
                    )
                write_atomic(path, text, mode=PRIVATE_FILE)
        except OSError as exc:
            raise StoreError(f"cannot save to {path}: {exc.strerror or exc}") from None

    def save_scenario(self, scenario: Scenario, *, force: bool = False) -> None:
        check_label(scenario.label)

        def change(current: dict[str, Scenario]) -> None:
            if scenario.name in current and not force:
                raise ScenarioExistsError(scenario.name)
            current[scenario.name] = scenario

        self._change_scenarios(change)

    def delete_scenario(self, name: str) -> Scenario:
        removed: list[Scenario] = []

        def change(current: dict[str, Scenario]) -> None:
            if name not in current:
                raise UnknownScenarioError(name, list(current))
            removed.append(current.pop(name))

        self._change_scenarios(change)
        return removed[0]

    def rename_scenario(self, old: str, new: str, *, force: bool = False) -> None:
        try:
            check_name(new)
        except InputError as exc:
            raise InputError("new_name", exc.message) from None

        def change(current: dict[str, Scenario]) -> None:
            if old not in current:
                raise UnknownScenarioError(old, list(current))
            if new in current and new != old and not force:
                raise ScenarioExistsError(new)
            current[new] = replace(current.pop(old), name=new)

        self._change_scenarios(change)

    # --- settings ------------------------------------------------------------------------------
    def _parse_settings(self, raw: bytes) -> Settings:
        import tomllib

        doc = tomllib.loads(raw.decode("utf-8"))
        fmt = doc.get("format", SETTINGS_FORMAT)
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > SETTINGS_FORMAT:
            raise NewerFormatError(
                f"{self.paths.settings} was written by a newer blinacalc (format {fmt}; this version reads "
                f"format {SETTINGS_FORMAT}); using the defaults and leaving the file unchanged"
            )
        values: dict[str, object] = {}
        problems = []
        for key, value in doc.items():
            if key == "format":
                continue
            if key not in SETTING_KEYS:
                problems.append(f"{self.paths.settings}: unknown setting {key!r} ignored")
                continue
            try:
                values[key] = parse_setting(key, value)
            except InputError as exc:
                problems.append(f"{self.paths.settings}: {exc.field}: {exc.message}; using the default")
        return Settings(**values, problems=tuple(problems))  # type: ignore[arg-type]

    def settings(self) -> Settings:
        """The saved settings, or the defaults. A bad value is reported and its default used; a file that
        is not TOML is moved aside; a newer file is left alone and the defaults used."""
        try:
            found = self._read(self.paths.settings, self._parse_settings, "settings.lock")
        except StoreError as exc:  # a newer format, or not a regular file: the defaults, file left alone
            self._warn(f"{exc}; using the default settings" if not isinstance(exc, NewerFormatError) else str(exc))
            return Settings()
        settings = found if isinstance(found, Settings) else Settings()
        for problem in settings.problems:
            self._warn(problem)
        return settings

    def update_settings(self, **changes: object) -> Settings:
        """Set (value) or reset (None) settings under the lock; returns the new settings.
        Raises NewerFormatError for a newer file and StoreError if it cannot be written."""
        path = self.paths.settings
        try:
            with _locked(path.parent, "settings.lock"):
                current = self._read(path, self._parse_settings, "settings.lock", held=True)
                base = current if isinstance(current, Settings) else Settings()
                values = {k: getattr(base, k) for k in SETTING_KEYS}
                defaults = Settings()
                for key, value in changes.items():
                    values[key] = getattr(defaults, key) if value is None else parse_setting(key, value)
                new = Settings(**values)
                write_atomic(path, new.to_toml(), mode=PRIVATE_FILE)
        except OSError as exc:
            raise StoreError(f"cannot save to {path}: {exc.strerror or exc}") from None
        return new
