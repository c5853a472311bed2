"""The index against a brute-force reference computed from the database, after any sequence of
writes, commits, merges, reopenings, rebuilds and simulated kills.

Datasets are created, updated, withdrawn, restored and deleted through the services, with
random missing fields (no ``modified``, no keywords, no themes, no distributions), unicode, and
texts drawn from a tiny vocabulary so that scores tie. Between writes the index is merged,
reopened by a new store (a new process), rebuilt, or left behind by a "killed" process (its
commit lands, its index write never happens, or fails half-way). After every step, generated
queries (words, phrases, prefixes, field terms, AND/OR/NOT, filters, sorts, pages, withdrawn
datasets, three kinds of viewer) go through ``/api/v1/datasets`` and must return exactly the
reference's ids, order, totals, facet counts and relaxation; the CSV export must list exactly
the reference's ids in order.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, update

import search_index.lifecycle
import search_index.segments
from catalog import events
from catalog.db import db
from catalog.models import Dataset
from catalog.services.datasets import create_dataset, update_dataset, withdraw_dataset
from search_index import get_store, rebuild
from search_index.language import And, Everything, Field, Not, Or, Phrase, Prefix, Word
from search_index.params import ANONYMOUS, Visibility
from search_index.store import IndexStore
from tests.conftest import dataset_payload
from tests.search.reference import Reference

WORDS = ["child", "children", "health", "healthy", "survey", "surveys", "river", "rivers",
         "water", "café", "straße", "東京", "birth", "births", "running", "run"]  # fmt: skip
PREFIXES = ["chi", "hea", "sur", "riv", "caf", "run", "bir", "wat"]
AGENCIES = ["DPH", "DOT", "DCF"]
THEMES = ["Health", "Transport and roads", "Santé"]
FORMATS = ["CSV", "JSON", "PDF"]
LEVELS = ["public", "restricted public", "non-public"]

text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
maybe = lambda strategy: st.none() | strategy  # noqa: E731

FIELD_STRATEGIES = {
    "title": text,
    "description": st.sampled_from(["", "the of a"]) | text,
    "keyword": maybe(st.lists(st.sampled_from(WORDS), max_size=3)),
    "theme": maybe(st.lists(st.sampled_from(THEMES), max_size=2)),
    "modified": maybe(st.sampled_from(["2020-01-01", "2021-06-30", "2024-05-01"])),
    "accessLevel": st.sampled_from(LEVELS),
    "agency": st.sampled_from(AGENCIES),
    "distribution": maybe(st.lists(st.sampled_from(FORMATS), max_size=2)),
    "license": maybe(st.just("https://creativecommons.org/publicdomain/zero/1.0/")),
}
fields = st.fixed_dictionaries(FIELD_STRATEGIES)


def payload(spec: dict, partial: bool = False) -> dict:
    body = dict(spec)
    if body["description"] == "":
        body["description"] = body["title"]  # required: the same text, so scores tie
    if body.get("distribution") is not None:
        body["distribution"] = [
            {"accessURL": f"https://example.org/{n}", "format": f}
            for n, f in enumerate(body["distribution"])
        ]
    if body["accessLevel"] != "public":
        body["rights"] = "Ask the agency."
    out = dataset_payload(**{k: v for k, v in body.items() if v is not None})
    for key in ("modified", "license", "keyword"):
        if spec.get(key) is None:
            out.pop(key, None)
    if partial:
        out.pop("agency", None)
        out.pop("contactPoint", None)
    return out


leaves = st.one_of(
    st.sampled_from(WORDS).map(Word),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(lambda w: Phrase(tuple(w))),
    st.sampled_from(PREFIXES).map(Prefix),
    st.sampled_from(AGENCIES).map(lambda v: Field("agency", v)),
    st.sampled_from(FORMATS).map(lambda v: Field("format", v)),
    st.sampled_from(THEMES).map(lambda v: Field("theme", v)),
    st.just(Everything()),
)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs), implicit=False)),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=6,
)


def render(node) -> str:
    if isinstance(node, Word):
        return node.text
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Prefix):
        return node.text + "*"
    if isinstance(node, Field):
        return f'{node.name}:"{node.value}"' if " " in node.value else f"{node.name}:{node.value}"
    if isinstance(node, Everything):
        return "*"
    if isinstance(node, Not):
        return f"NOT ({render(node.item)})"
    if isinstance(node, Or):
        return " OR ".join(
            f"({render(x)})" if isinstance(x, (And, Or)) else render(x) for x in node.items
        )
    glue = " " if node.implicit else " AND "
    parts = [
        f"({render(x)})"
        if isinstance(x, Or) or (isinstance(x, And) and not x.implicit)
        else render(x)
        for x in node.items
    ]
    return glue.join(parts)


def normalise(node):
    """What the parser makes of ``render(node)``: an implicit AND inside an AND joins it."""
    if isinstance(node, Not):
        return Not(normalise(node.item))
    if isinstance(node, Or):
        return Or(tuple(normalise(x) for x in node.items))
    if isinstance(node, And):
        items = []
        for x in (normalise(x) for x in node.items):
            items.extend(x.items if isinstance(x, And) and x.implicit else [x])
        return And(tuple(items), implicit=node.implicit)
    return node


class IndexMachine(RuleBasedStateMachine):
    datasets = Bundle("datasets")

    def __init__(self, app, client, headers) -> None:
        super().__init__()
        self.app, self.client, self.headers = app, client, headers

    @initialize()
    def empty_catalog(self) -> None:
        with self.app.app_context():
            ids = list(db.session.scalars(select(Dataset.id)))
            for dataset in db.session.scalars(select(Dataset)):
                db.session.delete(dataset)
            events.datasets_deleted.send("test", ids=ids)
            db.session.commit()

    # -- writes --------------------------------------------------------------------------------

    def _create(self, specs: list[dict]) -> list[str]:
        with self.app.app_context():
            made = [create_dataset(db.session, payload(s), "test").id for s in specs]
            db.session.commit()
        return made

    @rule(target=datasets, spec=fields)
    def create(self, spec):
        return self._create([spec])[0]

    @rule(target=datasets, specs=st.lists(fields, min_size=2, max_size=3))
    def create_several_in_one_commit(self, specs):
        return multiple(*self._create(specs))

    @rule(
        dataset=datasets,
        spec=fields,
        keys=st.sets(st.sampled_from(sorted(FIELD_STRATEGIES)), min_size=1),
    )
    def update(self, dataset, spec, keys):
        body = payload(spec, partial=True)
        change = {k: v for k, v in body.items() if k in keys or k == "rights"}
        if "accessLevel" not in change:
            change.pop("rights", None)
        with self.app.app_context():
            if db.session.get(Dataset, dataset) is None:
                return
            update_dataset(db.session, dataset, change, "test")
            db.session.commit()

    @rule(dataset=datasets, withdraw=st.booleans())
    def withdraw_or_restore(self, dataset, withdraw):
        with self.app.app_context():
            if db.session.get(Dataset, dataset) is None:
                return
            if withdraw:
                withdraw_dataset(db.session, dataset, "test")
            else:
                update_dataset(db.session, dataset, {"status": "active"}, "test")
            db.session.commit()

    @rule(dataset=consumes(datasets))
    def delete(self, dataset):
        with self.app.app_context():
            found = db.session.get(Dataset, dataset)
            if found is not None:
                db.session.delete(found)
                events.datasets_deleted.send("test", ids=[dataset])
                db.session.commit()

    @rule(dataset=datasets, score=st.none() | st.integers(0, 100))
    def score_and_review(self, dataset, score):
        """What the conformance and review services do: Core updates and an event."""
        with self.app.app_context():
            db.session.execute(
                update(Dataset)
                .where(Dataset.id == dataset)
                .values(conformance_score=score, review_status=None if score else "in_review")
            )
            events.datasets_changed.send("conformance", ids=[dataset])
            db.session.commit()

    @rule(target=datasets, spec=fields)
    def killed_after_commit(self, spec):
        """The process dies after its commit and before indexing."""
        original = search_index.lifecycle._catch_up
        search_index.lifecycle._catch_up = lambda *_args: None
        try:
            return self._create([spec])[0]
        finally:
            search_index.lifecycle._catch_up = original

    @rule(target=datasets, spec=fields)
    def index_write_fails(self, spec):
        """The index write breaks half-way (the commit stands; the error is logged)."""
        original = search_index.segments.SegmentBuilder.commit

        def broken(builder, *args, **kwargs):
            builder.cancel()
            raise OSError("disk full")

        search_index.segments.SegmentBuilder.commit = broken
        try:
            return self._create([spec])[0]
        finally:
            search_index.segments.SegmentBuilder.commit = original

    # -- index operations ----------------------------------------------------------------------

    @rule()
    def merge(self):
        get_store(self.app).update([], merge=True)

    @rule()
    def reopen_in_a_new_process(self):
        old = get_store(self.app)
        old.close()
        self.app.extensions["search_index"] = IndexStore(old.root)

    @rule()
    def rebuild_index(self):
        with self.app.app_context():
            rebuild(get_store(self.app), db.session)

    # -- answers -------------------------------------------------------------------------------

    def _compare(self, tree, filters, sort, per_page, page, withdrawn, viewer) -> None:
        visibility, headers = self.headers[viewer]
        params = {"sort": sort, "per_page": per_page, "page": page}
        if tree is not None:
            params["q"] = render(tree)
        for name, values in filters.items():
            params[name] = sorted(values)
        if withdrawn:
            params["include_withdrawn"] = "1"
        response = self.client.get("/api/v1/datasets", query_string=params, headers=headers)
        assert response.status_code == 200, (params, response.json)
        body = response.json
        with self.app.app_context():
            ref = Reference.load(db.session)
        expected, facets, was_relaxed = ref.search(
            normalise(tree) if tree is not None else None,
            filters=filters,
            visibility=visibility,
            include_withdrawn=withdrawn,
            sort=sort,
        )
        start = (page - 1) * per_page
        assert body["total"] == len(expected), params
        assert [i["id"] for i in body["items"]] == expected[start : start + per_page], params
        assert body["facets"] == facets, params
        assert body["relaxed"] == was_relaxed, params
        return expected, params, headers

    @rule(
        tree=st.none() | trees,
        filters=st.dictionaries(
            st.sampled_from(["agency", "format", "theme"]),
            st.sets(st.sampled_from(AGENCIES + FORMATS + THEMES), min_size=1, max_size=2),
            max_size=1,
        ),
        sort=st.sampled_from(["relevance", "modified", "title", "score"]),
        per_page=st.integers(1, 4),
        page=st.integers(1, 4),
        withdrawn=st.booleans(),
        viewer=st.sampled_from(["anonymous", "cdo", "steward"]),
        export=st.booleans(),
    )
    def search(self, tree, filters, sort, per_page, page, withdrawn, viewer, export):
        expected, params, _headers = self._compare(
            tree, filters, sort, per_page, page, withdrawn, viewer
        )
        if export:
            # The export, as a visitor (exports know the signed-in user, not API tokens).
            del params["page"], params["per_page"]
            text = self.client.get("/datasets.csv", query_string=params)
            rows = list(csv.DictReader(io.StringIO(text.get_data(as_text=True).lstrip("\ufeff"))))
            if viewer != "anonymous":
                with self.app.app_context():
                    expected = Reference.load(db.session).search(
                        normalise(tree) if tree is not None else None,
                        filters=filters,
                        visibility=ANONYMOUS,
                        include_withdrawn=withdrawn,
                        sort=sort,
                    )[0]
            assert [r["id"] for r in rows] == expected

    @invariant()
    def everything_is_listed(self):
        self._compare(None, {}, "relevance", 100, 1, True, "anonymous")


@pytest.mark.slow
def test_the_index_answers_as_the_reference_does(app, client, make_user, token_for):
    cdo = make_user("cdo")
    steward = make_user("steward", agencies=("DOT",))
    headers = {
        "anonymous": (ANONYMOUS, {}),
        "cdo": (Visibility(all_formats=True), {"Authorization": f"Bearer {token_for(cdo)}"}),
        "steward": (
            Visibility(agencies=frozenset({"DOT"})),
            {"Authorization": f"Bearer {token_for(steward)}"},
        ),
    }
    run_state_machine_as_test(
        lambda: IndexMachine(app, client, headers),
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
