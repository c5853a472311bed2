"""Many small index commits in a row, as harvests, API writes and schemathesis runs make them.

The failure these reproduce: Whoosh names each new segment with the *global* ``random`` module.
Hypothesis (under schemathesis) re-seeds that module before every example, so two commits in
two examples drew the same segment name; the second found the first's ``.seg`` file and
``create_compound_file`` raised ``AssertionError``, leaving the index stale.
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

from search_index import ANONYMOUS, SearchParams
from search_index.documents import Record
from search_index.engine import run
from search_index.store import IndexStore, State


def _record(n: int, word: str = "harbor") -> Record:
    return Record(id=f"r{n:05d}", title=f"{word} survey {n}", description=f"Rapid commit {n}.")


def _total(store: IndexStore, q: str) -> int:
    store.invalidate()
    return run(store.view(), SearchParams(q=q), ANONYMOUS).total


def test_rapid_commits_with_the_global_random_reseeded_each_time(tmp_path):
    store = IndexStore(tmp_path / "index")
    store.build([_record(0)], State(None, 0))
    for n in range(1, 30):
        random.seed(0)  # what Hypothesis does before each example it runs
        assert store.update([_record(n)])
    store.update([_record(3, "estuary")])  # a replaced document
    assert _total(store, "harbor") == 29
    assert _total(store, "estuary") == 1
    store.close()


def test_rapid_commits_from_two_processes(tmp_path):
    """Two writer processes (as two gunicorn workers), each committing one dataset at a time."""
    root = tmp_path / "index"
    store = IndexStore(root)
    store.build([], State(None, 0))
    script = textwrap.dedent(
        """
        import random, sys
        from search_index.documents import Record
        from search_index.store import IndexStore

        root, start = sys.argv[1], int(sys.argv[2])
        store = IndexStore(root)
        for n in range(start, start + 25):
            random.seed(0)
            assert store.update([Record(id=f"r{n:05d}", title=f"harbor survey {n}")])
        """
    )
    cwd = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(root), str(start)], cwd=cwd)
        for start in (0, 1000)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store.invalidate()
    assert _total(store, "harbor") == 50
    store.close()
