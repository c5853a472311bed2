"""The catalog's query language, parsed here into a small tree with bounded size and depth.

    query    := or_expr
    or_expr  := and_expr ( "OR" and_expr )*
    and_expr := unary ( ["AND"] unary )*          adjacent terms must all match
    unary    := ( "NOT" | "-" ) unary | primary
    primary  := "(" or_expr ")" | '"' words '"' | field ":" value | prefix* | word | "*"

Operators are upper-case (``and``, ``or`` and ``not`` in lower case are ordinary words, and stop
words). Words are analysed as documents are (``analysis.words_of``): ``covid-19`` is two words,
both required. ``field:value`` works for public facet fields only (``FILTER_FIELDS`` plus the
aliases a caller passes, such as CKAN's ``organization``); any other ``name:value`` is read as
words. A ``*`` anywhere but at the end of a word of at least ``MIN_PREFIX`` letters is read as a
space. Unbalanced brackets and quotes are forgiven. What is refused, with a plain message
(``QueryError``, a 400): more than ``MAX_CHARS`` characters, ``MAX_TERMS`` terms or ``MAX_DEPTH``
levels of brackets and NOTs. The engine adds a cost budget (``engine.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from catalog.errors import ServiceError
from search_index.analysis import words_of
from search_index.documents import normalise_format
from search_index.schema import FILTER_FIELDS

MAX_CHARS = 500
MAX_TERMS = 32
MAX_DEPTH = 10
MIN_PREFIX = 3


class QueryError(ServiceError):
    """A query the catalog refuses (400); the message is meant for the person who typed it."""

    def __init__(self, message: str, field: str = "q") -> None:
        super().__init__(message, {field: [message]})
        self.field = field


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    text: str


@dataclass(frozen=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True)
class Everything:
    pass


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]
    implicit: bool = True  # terms side by side (may be relaxed to OR when nothing matches)


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Union[Word, Phrase, Prefix, Field, Everything, And, Or, Not]  # noqa: UP007
TEXT_LEAVES = (Word, Phrase, Prefix)
_NORMALISE = {
    "agency": str.upper,
    "format": lambda v: normalise_format(v, None) or v,
}


def normalise_value(field: str, value: str) -> str:
    """A facet value as the index holds it (agency codes upper-case, formats normalised)."""
    return _NORMALISE.get(field, str)(value.strip())


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) with kinds ``(``, ``)``, ``-``, ``phrase``, ``field`` and ``word``."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append((c, c))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            out.append(("phrase", text[i + 1 : end]))
            i = end + 1
        elif c in "-+" and i + 1 < n and not text[i + 1].isspace():
            if c == "-":
                out.append(("-", c))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            token = text[i:j]
            kind = "field" if token.endswith(":") and j < n and text[j] == '"' else "word"
            out.append((kind, token))
            i = j
    return out


class _Parser:
    def __init__(self, text: str, aliases: dict[str, str], strict: bool) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.terms = 0
        self.aliases = {name: name for name in FILTER_FIELDS} | aliases
        self.strict = strict

    def unknown(self, name: str) -> None:
        if self.strict:
            known = ", ".join(sorted(n for n in self.aliases if n))
            raise QueryError(f"Unknown field {name!r}: use one of {known}.")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def count(self, n: int) -> None:
        self.terms += n
        if self.terms > MAX_TERMS:
            raise QueryError(f"Your search has too many terms: use at most {MAX_TERMS}.")

    def or_expr(self, depth: int) -> Node | None:
        items = [self.and_expr(depth)]
        while self.peek() == ("word", "OR"):
            self.i += 1
            items.append(self.and_expr(depth))
        kept = tuple(x for x in items if x is not None)
        if len(kept) <= 1:
            return kept[0] if kept else None
        return Or(kept)

    def and_expr(self, depth: int) -> Node | None:
        items: list[Node] = []
        explicit = False
        while (token := self.peek()) is not None and token[0] != ")" and token != ("word", "OR"):
            if token == ("word", "AND"):
                explicit = True
                self.i += 1
                continue
            node = self.unary(depth)
            if isinstance(node, And) and node.implicit:
                items.extend(node.items)  # the words of one token, such as covid-19
            elif node is not None:
                items.append(node)
        if len(items) <= 1:
            return items[0] if items else None
        return And(tuple(items), implicit=not explicit)

    def unary(self, depth: int) -> Node | None:
        if depth > MAX_DEPTH:
            raise QueryError(
                f"Your search nests brackets or NOT too deeply: use at most {MAX_DEPTH} levels."
            )
        token = self.peek()
        if token == ("word", "NOT") or (token is not None and token[0] == "-"):
            self.i += 1
            if self.peek() is None:
                return None
            inner = self.unary(depth + 1)
            return Not(inner) if inner is not None else None
        return self.primary(depth)

    def primary(self, depth: int) -> Node | None:
        kind, text = self.tokens[self.i]
        self.i += 1
        if kind == "(":
            node = self.or_expr(depth + 1)
            if self.peek() is not None and self.peek()[0] == ")":
                self.i += 1
            return node
        if kind == ")":
            return None
        if kind == "phrase":
            words = tuple(words_of(text))
            self.count(len(words))
            if len(words) > 1:
                return Phrase(words)
            return Word(words[0]) if words else None
        if kind == "field":
            name = self.aliases.get(text[:-1].lower())
            value = self.tokens[self.i][1] if self.i < len(self.tokens) else ""
            self.i += 1
            if name is not None and value.strip():
                return self._field(name, value.strip())
            if name is None:
                self.unknown(text[:-1])
            return self._words(f"{text} {value}")
        return self._word(text)

    def _field(self, name: str, value: str) -> Node | None:
        self.count(1)
        if name == "":  # an alias for plain words (CKAN's title:, notes:, text:)
            return self._words(value)
        return Field(name, normalise_value(name, value))

    def _word(self, text: str) -> Node | None:
        if text in ("*", "*:*"):
            return Everything()
        name, sep, value = text.partition(":")
        if sep and value and name.lower() in self.aliases:
            return self._field(self.aliases[name.lower()], value)
        if sep and value and name:
            self.unknown(name)
        stem = text.rstrip("*")
        if stem != text and "*" not in stem:
            words = words_of(stem)
            if len(words) == 1 and len(words[0]) >= MIN_PREFIX and stem.lower().endswith(words[0]):
                self.count(1)
                return Prefix(words[0])
        return self._words(text.replace("*", " "))

    def _words(self, text: str) -> Node | None:
        words = words_of(text)
        self.count(len(words))
        if len(words) <= 1:
            return Word(words[0]) if words else None
        return And(tuple(Word(w) for w in words))


def parse(text: str, aliases: dict[str, str] | None = None, strict: bool = False) -> Node | None:
    """The query tree of ``text`` (None when it holds no terms: everything matches).
    ``strict``: an unknown ``name:value`` is refused instead of read as words (filters)."""
    if len(text) > MAX_CHARS:
        raise QueryError(f"Your search is too long: keep it under {MAX_CHARS} characters.")
    parser = _Parser(text, aliases or {}, strict)
    node = parser.or_expr(0)
    while parser.peek() is not None:  # a stray ")": read on
        parser.i += 1
        rest = parser.or_expr(0)
        if rest is not None:
            node = rest if node is None else And((node, rest))
    return node


def relaxed(node: Node | None) -> Node | None:
    """Side-by-side terms OR-ed (the rest still required), or None when that changes nothing."""
    if not isinstance(node, And) or not node.implicit:
        return None
    text = tuple(x for x in node.items if isinstance(x, TEXT_LEAVES))
    if len(text) < 2:
        return None
    rest = tuple(x for x in node.items if not isinstance(x, TEXT_LEAVES))
    return And((Or(text), *rest), implicit=False) if rest else Or(text)
