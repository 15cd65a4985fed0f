"""The patient-independent draws, kept in memory and (optionally) on disk between runs.

Building the draws (re-calibrating every draw for OS and RFS) is most of a fresh process's time. They
depend only on (draws, seed), the evidence, the fit, the factor table, the model code and numpy, all
of which go into the file name, so a stale file can never be read. Callers outside the core (CLI, TUI)
choose the folder; the core never looks for one itself.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from blinacalc._digest import hasher
from blinacalc._fs import make_private_dirs, write_atomic
from blinacalc._version import __version__
from blinacalc.core import classes as K
from blinacalc.core import continuous as C
from blinacalc.core import draws as D
from blinacalc.core import factors as F
from blinacalc.core.defaults import MAX_CACHED_DRAWS
from blinacalc.core.result import MONTHS

FORMAT = 4
KEEP = 4  # files kept; older ones are removed
_MAGIC = b"blinacalc-draws\n"
_MAX_HEADER_BYTES = 4096
_MAX_FILE_BYTES = 64_000_000  # far above MAX_CACHED_DRAWS' file (about 24 MB)
_FINGERPRINTED = (
    "evidence/topp2021.toml",
    "evidence/tower2017.toml",
    "core/calibration.json",
    "core/baseline.py",
    "core/classes.py",
    "core/continuous.py",
    "core/draws.py",
    "core/evidence.py",
    "core/mixture.py",
    "core/stats.py",
)


class DrawCache:
    """Draw sets by (draws, seed), read from and written to ``directory`` (None: memory only)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory

    def file(self, draws: int, seed: int) -> Path:
        assert self.directory is not None
        h = hasher()
        h.update(f"{FORMAT}|{__version__}|{np.__version__}|{draws}|{seed}|{F.fingerprint()}".encode())
        package = Path(__file__).resolve().parent.parent
        for rel in _FINGERPRINTED:
            h.update((package / rel).read_bytes())
        return self.directory / f"draws-{h.hexdigest()[:32]}.bin"

    def kept_file(self, draws: int, seed: int) -> Path | None:
        """The draws file for (draws, seed) if draws of that size are kept on disk, else None."""
        if self.directory is None or draws > MAX_CACHED_DRAWS:
            return None
        return self.file(draws, seed)

    def get(self, draws: int, seed: int) -> D.DrawSet:
        return _cached(self.directory, draws, seed, F.fingerprint())

    def load(self, path: Path, draws: int) -> D.DrawSet | None:
        """Read a draws file: magic line, JSON header line (name -> shape), then float64 data; None if it is
        missing, unreadable, damaged or of other shapes (a cache is never the only copy)."""
        try:
            if not stat.S_ISREG(os.stat(path).st_mode) or os.stat(path).st_size > _MAX_FILE_BYTES:
                return None  # a FIFO, device or oversized file is not a cache of ours: never read it
            with open(path, "rb") as fh:
                if fh.readline(len(_MAGIC)) != _MAGIC:
                    return None
                header = json.loads(fh.readline(_MAX_HEADER_BYTES))
                data = np.fromfile(fh, dtype="<f8")
            arrays, offset = {}, 0
            for name, shape in header.items():
                size = int(np.prod(shape))
                arrays[name] = data[offset : offset + size].reshape(shape)
                offset += size
            if offset != data.size:
                return None
            return _from_arrays(arrays, draws)
        except Exception:  # a cache is never fatal: anything unexpected in it (deep JSON, ...) is ignored
            return None

    def save(self, path: Path, ds: D.DrawSet) -> None:
        arrays = _to_arrays(ds)
        header = json.dumps({k: list(a.shape) for k, a in arrays.items()}).encode() + b"\n"
        body = b"".join(np.ascontiguousarray(a, dtype="<f8").tobytes() for a in arrays.values())
        try:
            make_private_dirs(path.parent)
            write_atomic(path, _MAGIC + header + body)
            old = sorted(path.parent.glob("draws-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
            for stale in old[KEEP:]:
                stale.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only or full disk costs speed next time, nothing else


@lru_cache(maxsize=4)
def _cached(directory: Path | None, draws: int, seed: int, fingerprint: str) -> D.DrawSet:
    cache = DrawCache(directory)
    path = cache.kept_file(draws, seed)
    if path is None:
        return D.build(draws, seed)
    ds = cache.load(path, draws)
    if ds is None:
        ds = D.build(draws, seed)
        cache.save(path, ds)
    return ds


def clear() -> None:
    """Forget the draw sets held in memory (tests; a changed factor table is keyed separately anyway)."""
    _cached.cache_clear()


def _to_arrays(ds: D.DrawSet) -> dict[str, np.ndarray]:
    out = {f.name: getattr(ds, f.name) for f in fields(ds) if f.name != "endpoints"}
    for name, ep in ds.endpoints.items():
        out.update({f"{name}.{k}": getattr(ep, k) for k in D.ENDPOINT_ARRAYS})
    return out


def _from_arrays(arrays: dict[str, np.ndarray], draws: int) -> D.DrawSet:
    rows, cols = draws + 1, len(MONTHS)
    k, u, c = len(F.binary()), len(K.drawn_factors()), len(F.continuous())
    q = C.NODES if c else 1
    shapes = {
        "target": (rows, cols),
        "log_s0": (rows, cols),
        "log_hr": (rows, k),
        "class_hr": (rows, 2**k),
        "sens_log_s0": (2 * u, cols),
        "beta": (rows, c),
        "z_nodes": (rows, q),
        "z_weights": (rows, q),
    }
    endpoints = {}
    for name in ("os", "rfs"):
        parts = {key: arrays[f"{name}.{key}"] for key in shapes}
        if any(parts[key].shape != shape for key, shape in shapes.items()):
            raise ValueError("shape")
        endpoints[name] = D.EndpointDraws(
            parts["target"],
            parts["log_s0"],
            parts["log_hr"],
            parts["class_hr"],
            parts["sens_log_s0"],
            parts["beta"],
            parts["z_nodes"],
            parts["z_weights"],
            cache=draws <= D.CACHE_CLASS_CURVES_UP_TO,
        )
    ds = D.DrawSet(
        endpoints=endpoints,
        hsct_ccr=arrays["hsct_ccr"],
        drawn_prevalence=arrays["drawn_prevalence"],
        cr_hr=arrays["cr_hr"],
        cr_rate=arrays["cr_rate"],
        mrd_hr=arrays["mrd_hr"],
        tower_hr=arrays["tower_hr"],
    )
    vectors = ("cr_hr", "cr_rate", "mrd_hr", "tower_hr")
    if ds.hsct_ccr.shape != (rows, cols) or any(getattr(ds, v).shape != (rows,) for v in vectors):
        raise ValueError("shape")
    if ds.drawn_prevalence.shape != (rows, u):
        raise ValueError("shape")
    if any(np.isnan(a).any() for a in arrays.values()):
        raise ValueError("nan")
    return ds
