"""Text the database cannot store: NUL characters and lone UTF-16 surrogates.

JSON may carry both (``"\\u0000"``, ``"\\ud800"``); neither is a character PostgreSQL text holds,
and a lone surrogate cannot even be encoded as UTF-8, so either would fail a write with a server
error. Requests carrying them are refused naming the field; harvested records are cleaned with
a warning (``scrub``).
"""

from __future__ import annotations

import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE_MESSAGE = (
    "Contains a lone UTF-16 surrogate (such as \\ud800), which is not a character; "
    "send valid Unicode text."
)
NUL_MESSAGE = "Contains a NUL character, which is not allowed."


def has_lone_surrogate(text: str) -> bool:
    # A well-formed pair decodes to one character, so any surrogate left in a str is lone.
    return _LONE_SURROGATE.search(text) is not None


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    if has_lone_surrogate(text):
        return LONE_SURROGATE_MESSAGE
    return None


def find_bad_text(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first ``(field path, problem)`` in a JSON value (keys included), or None."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (path or "_request", problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := text_problem(key)):
                return where, problem
            if found := find_bad_text(item, where):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := find_bad_text(item, f"{path}.{index}" if path else str(index)):
                return found
    return None


def scrub(value: Any) -> Any:
    """``value`` with NUL removed and lone surrogates replaced by U+FFFD, keys included."""
    if isinstance(value, str):
        text = value.replace("\x00", "")
        return _LONE_SURROGATE.sub("\ufffd", text) if has_lone_surrogate(text) else text
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


# A JSON escape of a surrogate pair (kept) or of a lone surrogate (replaced by U+FFFD).
_SURROGATE_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)


def _keep_pairs(match: re.Match[bytes]) -> bytes:
    return match[0] if len(match[0]) == 12 else b"\\ufffd"


class SurrogateEscapeFilter:
    """A binary reader over JSON that turns lone-surrogate escapes (``\\ud800``) into
    ``\\ufffd``: a streaming parser would fail the whole document on one of them."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.tail = b""

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        while True:
            chunk = self.reader.read(n if n and n > 0 else 65536)
            data = self.tail + chunk
            if not chunk:
                self.tail = b""
                return _SURROGATE_ESCAPE.sub(_keep_pairs, data)
            # Hold back the last 12 bytes (an escaped pair's length) and any escape that reaches
            # into them: the rest of it may come with the next chunk.
            limit = len(data) - 12
            if limit <= 0:
                self.tail = data
                continue
            cut = limit
            for match in _SURROGATE_ESCAPE.finditer(data):
                if match.start() >= limit:
                    break
                if match.end() > limit:
                    cut = match.start()
                    break
            self.tail, out = data[cut:], data[:cut]
            if out:
                return _SURROGATE_ESCAPE.sub(_keep_pairs, out)
