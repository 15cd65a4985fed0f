"""Content digests for cache names (the draws, the parsed evidence, the factor table).

BLAKE2b from CPython's own ``_blake2`` module where it is there: ``import hashlib`` loads OpenSSL first,
about 3 ms of every command's start, for digests that need no OpenSSL. Falls back to ``hashlib``.
"""

from __future__ import annotations

from typing import Any

try:
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as _blake2b


def hasher() -> Any:
    """A new BLAKE2b (32-byte) hash object: ``.update(bytes)``, ``.hexdigest()``."""
    return _blake2b(digest_size=32)


def digest(data: bytes) -> str:
    """The hex BLAKE2b digest (64 characters) of ``data``."""
    h = hasher()
    h.update(data)
    return str(h.hexdigest())
