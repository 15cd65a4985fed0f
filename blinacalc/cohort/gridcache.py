"""``batch``'s grid settings, kept on disk between runs beside the draws they come from.

A grid setting (every pattern's numbers and curves at one setting of the continuous factors,
:func:`blinacalc.cohort.tables.setting_numbers`) depends on no patient: only on the draws, the evidence,
the grid and the code that computes it. Computing the settings a large file needs is most of a first run
(about 0.2 s of processor time each, up to 35); the next run reads them. The file is named after the draws
file (whose name digests the evidence, the fit, the factor table, the model code, numpy, draws and seed)
and the code below, so a stale file is never read. A file that is missing, damaged or of other shapes is
ignored (and replaced at the end of the run): it is never the only copy of anything.

File: a magic line, a JSON header line ``{"width": W, "patterns": P, "settings": [[known, node], ...],
"digest": D}`` (``known`` 0/1 per continuous factor, ``node`` grid indices, ``D`` the BLAKE2b digest of the
data), then float64 data (settings, P, W). A file whose data does not match its digest (damaged, cut
short or longer) is not read: nothing in the data itself would tell a damaged number from a true one.

Privacy: the file holds no patient's values. ``batch`` keeps every setting of each combination of known
and unknown continuous factors that its file used (computing the missing ones at the end of the first
run), so the file shows at most which of marrow blasts and age were known in some row, never a value or
a range of values.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np

from blinacalc._digest import digest, hasher
from blinacalc._fs import write_atomic

FORMAT = 1
KEEP = 4  # files kept; older ones are removed
_MAGIC = b"blinacalc-grid\n"
_MAX_HEADER_BYTES = 16_384  # 35 settings take about 1,500
_MAX_FILE_BYTES = 128_000_000  # 35 settings x 81 patterns x 690 numbers x 8 bytes is about 16 MB
# What a setting's numbers depend on beyond the draws (the draws file's name covers those).
_FINGERPRINTED = (
    "cohort/tables.py",
    "cohort/batch.py",
    "core/cohort.py",
    "core/defaults.py",
    "core/model.py",
    "core/patient.py",
    "core/result.py",
    "core/summaries.py",
)

Key = tuple[tuple[bool, ...], tuple[int, ...]]  # (which continuous factors are known, grid indices)


def file_for(draws_file: Path) -> Path:
    """The grid file for the draws kept in ``draws_file``."""
    h = hasher()
    h.update(f"{FORMAT}|{draws_file.name}".encode())
    package = Path(__file__).resolve().parent.parent
    for rel in _FINGERPRINTED:
        h.update((package / rel).read_bytes())
    return draws_file.with_name(f"grid-{h.hexdigest()[:32]}.bin")


def load(path: Path, patterns: int, width: int) -> dict[Key, np.ndarray]:
    """The settings kept in ``path`` (each (patterns, width)); empty if there is none, or it is unreadable,
    damaged or of other shapes."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_FILE_BYTES:
            return {}  # a FIFO, device or oversized file is not a cache of ours: never read it
        with open(path, "rb") as fh:
            if fh.readline(len(_MAGIC)) != _MAGIC:
                return {}
            header = json.loads(fh.readline(_MAX_HEADER_BYTES))
            if header["patterns"] != patterns or header["width"] != width:
                return {}
            keys: list[Key] = [
                (tuple(bool(k) for k in known), tuple(int(i) for i in node)) for known, node in header["settings"]
            ]
            body = fh.read(len(keys) * patterns * width * 8 + 1)
        if len(body) != len(keys) * patterns * width * 8 or digest(body) != header["digest"]:
            return {}
        tables = np.frombuffer(body, dtype="<f8").reshape(len(keys), patterns, width)
        return dict(zip(keys, tables, strict=True))
    except Exception:  # a cache is never fatal: anything unexpected in it (deep JSON, 1e400, ...) is ignored
        return {}


def save(path: Path, settings: dict[Key, np.ndarray]) -> None:
    """Write every setting in ``settings`` to ``path`` (atomically); a disk that refuses costs speed next
    time, nothing else. Keeps the :data:`KEEP` newest grid files."""
    keys = sorted(settings)
    first = settings[keys[0]]
    header: dict[str, object] = {
        "patterns": first.shape[0],
        "width": first.shape[1],
        "settings": [[[int(k) for k in known], [int(i) for i in node]] for known, node in keys],
    }
    body = np.ascontiguousarray(np.stack([settings[k] for k in keys]), dtype="<f8").tobytes()
    header["digest"] = digest(body)
    try:
        write_atomic(path, _MAGIC + json.dumps(header).encode() + b"\n" + body)
        old = sorted(path.parent.glob("grid-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass
