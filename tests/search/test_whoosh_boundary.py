"""Whoosh stays behind its fences: only search_index imports it, and only whoosh_io.py touches
its internals (the codec, the segment writer, the file storage, the table of contents)."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
INTERNAL = ("whoosh.codec", "whoosh.writing", "whoosh.filedb", "whoosh.reading", "whoosh.system",
            "whoosh.util", "whoosh.index")  # fmt: skip


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _private_whoosh_attributes(path: Path) -> list[str]:
    """``something._name`` on objects named after Whoosh's parts (writer, reader, codec…)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            base = ast.unparse(node.value)
            if any(
                part in base for part in ("writer", "reader", "codec", "segment", "pool", "toc")
            ):
                found.append(f"{base}.{node.attr}")
    return found


def test_only_search_index_imports_whoosh():
    for path in PROJECT.glob("*/**/*.py"):
        top = path.relative_to(PROJECT).parts[0]
        if top in ("search_index", "tests", ".venv", "instance"):
            continue
        assert not any(n.split(".")[0] == "whoosh" for n in _imports(path)), path


def test_whoosh_internals_are_used_in_one_module():
    checked = 0
    for path in (PROJECT / "search_index").glob("*.py"):
        if path.name == "whoosh_io.py":
            continue
        checked += 1
        internal = [n for n in _imports(path) if n.startswith(INTERNAL)]
        assert internal == [], (path.name, internal)
        assert _private_whoosh_attributes(path) == [], path.name
    assert checked > 10
    whoosh_io = PROJECT / "search_index" / "whoosh_io.py"
    assert any(n.startswith(INTERNAL) for n in _imports(whoosh_io))
    assert _private_whoosh_attributes(whoosh_io)  # the check can see what it looks for
