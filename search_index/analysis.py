"""Text analysis, one definition for documents, queries and the tests' reference.

Words: runs of word characters (dots allowed inside, as in ``u.s`` or ``1.5``), lower-cased,
English stop words removed (Whoosh's list), positions renumbered as Whoosh's ``StopFilter``
does. Stems: Whoosh's Porter2 (Snowball English), after a short table of irregular plurals the
stemmer leaves alone (``children`` -> ``child``). ``whoosh_analyzer`` builds the same chain from
Whoosh's own filters for the schema; ``tests/search/test_analysis.py`` checks they agree.
"""

from __future__ import annotations

import re

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter2 import stem as _porter2

PATTERN = r"\w+(?:\.\w+)*"
_TOKEN = re.compile(PATTERN)
STOP = frozenset(STOP_WORDS)
IRREGULAR = {
    "children": "child", "men": "man", "women": "woman", "people": "person", "mice": "mouse",
    "geese": "goose", "feet": "foot", "teeth": "tooth", "lice": "louse", "oxen": "ox",
}  # fmt: skip
_STEMS: dict[str, str] = {}
_STEM_CACHE_LIMIT = 500_000


def stem(word: str) -> str:
    """The stem of a lower-cased word (cached: vocabularies repeat)."""
    found = _STEMS.get(word)
    if found is None:
        found = IRREGULAR.get(word) or _porter2(word)
        if len(_STEMS) >= _STEM_CACHE_LIMIT:
            _STEMS.clear()
        _STEMS[word] = found
    return found


def stems_of(words: list[str]) -> list[str]:
    """``[stem(w) for w in words]``, with the dictionary lookups in C for words seen before."""
    try:
        return list(map(_STEMS.__getitem__, words))
    except KeyError:
        return [stem(w) for w in words]


def analyse(text: str) -> tuple[list[str], int]:
    """Indexed words of ``text`` in order (stop words removed) and the position of the first.

    Positions follow on from the first: Whoosh's StopFilter renumbers the kept words
    consecutively, starting from the first kept word's original position.
    """
    if text.isascii():
        words = _TOKEN.findall(text.lower())
    else:  # lower-casing first could change what the regex sees (e.g. "İ")
        words = [w.lower() for w in _TOKEN.findall(text)]
    kept = [w for w in words if w not in STOP]
    if not kept:
        return kept, 0
    first = 0
    while words[first] in STOP:
        first += 1
    return kept, first


def words_of(text: str) -> list[str]:
    return analyse(text)[0]


def whoosh_analyzer(stemming: bool):
    """The same analysis as a Whoosh analyzer chain (what the schema declares)."""
    chain = RegexTokenizer(PATTERN) | LowercaseFilter() | StopFilter(stoplist=STOP, minsize=1)
    if stemming:
        chain = chain | StemFilter(stemfn=stem, cachesize=-1)
    return chain
