"""Flat files of numpy arrays, memory-mapped read-only, and sorted string tables inside them.

A sidecar is one data file plus a small JSON manifest naming each array (dtype, offset, shape).
Readers map the data file once; every array is a view into that map, so the pages are the
operating system's page cache, shared by every process that opens the same segment.
"""

from __future__ import annotations

import json
import mmap
import os
from bisect import bisect_left
from pathlib import Path
from typing import Any

import numpy as np

ALIGN = 16
FIND_CACHE = 4096


def write_arrays(data_path: Path, manifest_path: Path, arrays: dict[str, np.ndarray], **meta: Any):
    """Write ``arrays`` to one file, then the manifest (last: a sidecar counts once it exists)."""
    index: dict[str, list] = {}
    tmp = data_path.parent / f".{data_path.name}.tmp"  # a leading dot: Whoosh's cleaner skips it
    with tmp.open("wb") as out:
        offset = 0
        for name, array in arrays.items():
            array = np.ascontiguousarray(array)
            pad = -offset % ALIGN
            out.write(b"\0" * pad)
            offset += pad
            index[name] = [array.dtype.str, offset, list(array.shape)]
            out.write(array.tobytes())
            offset += array.nbytes
    os.replace(tmp, data_path)
    _write_atomic(manifest_path, json.dumps({**meta, "arrays": index}).encode("utf-8"))


def read_arrays(data_path: Path, manifest_path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Every array of a sidecar as a read-only view of one shared map of its data file (plain
    ndarrays: ``np.memmap`` slicing costs microseconds per call in Python)."""
    meta = json.loads(manifest_path.read_bytes())
    with data_path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    base = np.frombuffer(mapped, dtype=np.uint8)
    arrays = {}
    for name, (dtype, offset, shape) in meta.pop("arrays").items():
        dt = np.dtype(dtype)
        count = int(np.prod(shape)) if shape else 1
        raw = base[offset : offset + count * dt.itemsize]
        arrays[name] = raw.view(dt).reshape(shape) if count else np.zeros(shape, dt)
    return arrays, meta


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, path)


def encode_strings(values: list[str] | list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes of every value, offsets with one extra at the end)."""
    raw = [v if isinstance(v, bytes) else v.encode("utf-8") for v in values]
    offsets = np.zeros(len(raw) + 1, dtype=np.uint64)
    if raw:
        np.cumsum([len(b) for b in raw], out=offsets[1:])
    return np.frombuffer(b"".join(raw), dtype=np.uint8).copy(), offsets


class StringTable:
    """Strings stored as one byte array and offsets; ``find`` and ``span`` need it sorted."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets
        self._n = max(len(offsets) - 1, 0)
        # Lookups repeat (Zipf): remember the answers, in this process, for this table.
        self._found: dict[bytes, int] = {}

    @classmethod
    def of(cls, arrays: dict[str, np.ndarray], name: str) -> StringTable:
        return cls(arrays[f"{name}.blob"], arrays[f"{name}.off"])

    def __len__(self) -> int:
        return self._n

    def raw(self, i: int) -> bytes:
        return self.blob[int(self.offsets[i]) : int(self.offsets[i + 1])].tobytes()

    def __getitem__(self, i: int) -> str:
        return self.raw(i).decode("utf-8")

    def all(self) -> list[str]:
        data = self.blob.tobytes()
        bounds = self.offsets.tolist()
        return [data[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(self._n)]

    def _lower_bound(self, key: bytes) -> int:
        return bisect_left(range(self._n), key, key=self.raw)

    def find(self, key: bytes) -> int:
        """Index of ``key``, or -1."""
        found = self._found.get(key)
        if found is None:
            i = self._lower_bound(key)
            found = i if i < self._n and self.raw(i) == key else -1
            if len(self._found) >= FIND_CACHE:
                self._found.clear()
            self._found[key] = found
        return found

    def span(self, prefix: bytes) -> tuple[int, int]:
        """[start, stop) of the entries beginning with ``prefix`` (UTF-8 never holds 0xFF)."""
        return self._lower_bound(prefix), self._lower_bound(prefix + b"\xff")
