"""A file cache for exports: the first request streams and saves, later ones send the file.

Entries are keyed by a fingerprint of what the export depends on; a new fingerprint means a new
file, and older files of the same export are removed once the new one is complete. A generation
that stops early (the client went away) leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path


def cache_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def cached_path(directory: Path, name: str, key: str, suffix: str) -> Path:
    return directory / f"{name}-{key}{suffix}"


def tee_to_cache(chunks: Iterable[str], target: Path) -> Iterator[str]:
    """Yield ``chunks`` while writing them to ``target`` (atomically, on completion only)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    complete = False
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(chunk)
                yield chunk
        os.replace(temporary, target)
        complete = True
        prefix = target.name.rsplit("-", 1)[0] + "-"
        for old in target.parent.glob(f"{prefix}*{target.suffix}"):
            if old != target:
                old.unlink(missing_ok=True)
    finally:
        if not complete:
            temporary.unlink(missing_ok=True)
