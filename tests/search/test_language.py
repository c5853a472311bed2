"""The query language: what a query means, and what it refuses."""

from __future__ import annotations

import importlib.metadata

import pytest
from hypothesis import given, settings

from search_index import whoosh_io
from search_index.language import (
    MAX_DEPTH,
    MAX_TERMS,
    And,
    Everything,
    Field,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryError,
    Word,
    parse,
    relaxed,
)
from tests.search.test_model import normalise, render, trees


@settings(max_examples=300, deadline=None)
@given(trees)
def test_a_rendered_tree_parses_back(tree):
    assert parse(render(tree)) == normalise(tree)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("tobacco", Word("tobacco")),
        ("Tobacco USE", And((Word("tobacco"), Word("use")))),
        ("covid-19 cases", And((Word("covid"), Word("19"), Word("cases")))),
        (
            '"vaccination coverage" -adults',
            And((Phrase(("vaccination", "coverage")), Not(Word("adults")))),
        ),
        ("tobac*", Prefix("tobac")),
        ("ab*", Word("ab")),  # too short for a prefix: the word
        ("*obacco *z*", And((Word("obacco"), Word("z")))),  # inner and leading * are spaces
        ("x OR y", Or((Word("x"), Word("y")))),
        ("x AND (y OR z)", And((Word("x"), Or((Word("y"), Word("z")))), implicit=False)),
        ("NOT NOT x", Not(Not(Word("x")))),
        ("agency:dph", Field("agency", "DPH")),
        ("format:text/csv", Field("format", "CSV")),
        ('theme:"Health Care" flu', And((Field("theme", "Health Care"), Word("flu")))),
        ("steward:jane", And((Word("steward"), Word("jane")))),  # not a public field: words
        ("the of and", None),  # stop words only: no terms
        ("*", Everything()),
        ("((x y", And((Word("x"), Word("y")))),  # unbalanced brackets are forgiven
        ("x) y", And((Word("x"), Word("y")))),
        ('"unclosed phrase', Phrase(("unclosed", "phrase"))),
    ],
)
def test_queries_mean_what_the_guide_says(text, tree):
    assert parse(text) == tree


def test_limits_are_plain_errors():
    with pytest.raises(QueryError, match="too long"):
        parse("x" * 501)
    with pytest.raises(QueryError, match="too many terms"):
        parse(" ".join(f"w{n}" for n in range(MAX_TERMS + 1)))
    with pytest.raises(QueryError, match="too deeply"):
        parse("(" * (MAX_DEPTH + 1) + "x")
    with pytest.raises(QueryError, match="too deeply"):
        parse("NOT " * (MAX_DEPTH + 2) + "x")
    for text in ("(" * 5000, "(" * 400 + "x", "NOT " * 120, "-" * 400 + "x"):
        with pytest.raises(QueryError):  # refused, never a RecursionError
            parse(text)


def test_filters_refuse_unknown_fields():
    with pytest.raises(QueryError, match="Unknown field 'secret'"):
        parse("secret:x", strict=True)
    assert parse("organization:dph", {"organization": "agency"}, strict=True) == Field(
        "agency", "DPH"
    )


def test_relaxing_ors_side_by_side_words_and_keeps_the_rest():
    tree = parse("tobacco zebra agency:DPH")
    assert relaxed(tree) == And(
        (Or((Word("tobacco"), Word("zebra"))), Field("agency", "DPH")), implicit=False
    )
    assert relaxed(parse("tobacco AND zebra")) is None  # asked for both explicitly
    assert relaxed(parse("tobacco")) is None


def test_an_untested_whoosh_stops_the_start(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda _dist: "2.7.6")
    with pytest.raises(whoosh_io.UntestedWhoosh, match="tested with"):
        whoosh_io.check_version()
    from catalog import create_app

    with pytest.raises(whoosh_io.UntestedWhoosh):
        create_app({"ENV_NAME": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
