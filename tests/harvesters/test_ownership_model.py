"""Harvests, steward edits, overrides and sign-off decisions in random order, checked after every
step against a plain model of what each dataset should hold (hypothesis state machine).

The model is the rule of issue 18 written out: a harvested dataset follows its source, except
fields a steward set (overrides, which keep what the source says) and changes to accessLevel,
rights, license or agency, which wait for a decision; a decision is not asked for again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import delete, select

import search_index
from catalog.db import Base, db
from catalog.errors import InvalidInput
from catalog.models import Dataset, FieldOverride, PendingChange, User
from catalog.services.datasets import restore_dataset, update_dataset, withdraw_dataset
from catalog.services.harvest import add_source
from catalog.services.pending_changes import decide_pending_change, follow_source
from catalog.services.users import create_user
from harvesters.runner import run_harvest
from tests.conftest import REFERENCE_TABLES

IDS = [f"urn:model:{n}" for n in ("a", "b", "c", "d")]
SIGN_OFF = ("access_level", "rights", "license", "agency")
TRACKED = ("title", "description", "keyword", "access_level", "rights", "license", "modified",
           "publisher_name", "agency")  # fmt: skip
EDITABLE = ("title", "description", "keyword", "access_level", "rights", "license")
PUBLISHERS = {"Department of Public Health": "DPH", "Department of Transportation": "DOT",
              "A board no one maps": "DPH"}  # fmt: skip
LICENSES = ["https://creativecommons.org/publicdomain/zero/1.0/",
            "https://opendatacommons.org/licenses/odbl/1-0/"]  # fmt: skip

# Text with unicode (no control characters or lone surrogates, which JSON cannot carry).
words = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=0,
    max_size=12,
)
titles = st.one_of(words, st.sampled_from(["Births by town", "Café Zürich", "東京 data", "  "]))
keywords = st.lists(st.sampled_from(["health", "Health", " roads ", "ünïcode", ""]), max_size=4)
records = st.fixed_dictionaries(
    {"title": titles},
    optional={
        "description": st.one_of(words, st.just("")),
        "keyword": keywords,
        "accessLevel": st.sampled_from(["public", "restricted public", "non-public"]),
        "rights": st.sampled_from(["Personal data; ask the steward.", "Statute 19a-25.", ""]),
        "license": st.sampled_from(LICENSES),
        "modified": st.sampled_from(["2024-01-31", "2025-06-30"]),
        "publisher": st.sampled_from(sorted(PUBLISHERS)),
    },
)


def text(value: object) -> str | None:
    """What the input schema makes of a text value: trimmed, blank is nothing."""
    return (value.strip() or None) if isinstance(value, str) else None


def source_says(record: dict) -> dict | None:
    """The model of validation and mapping: the values a record gives each tracked field, or
    None when the record fails (a blank title)."""
    if text(record["title"]) is None:
        return None
    publisher = (record.get("publisher") or {}).get("name")
    return {
        "title": text(record["title"]),
        "description": text(record.get("description")),
        "keyword": list(dict.fromkeys(k for k in map(text, record.get("keyword", [])) if k)),
        "access_level": record.get("accessLevel") or "non-public",
        "rights": text(record.get("rights")),
        "license": record.get("license"),
        "modified": record.get("modified"),
        "publisher_name": publisher,
        "agency": PUBLISHERS.get(publisher, "DPH"),
    }


class Held:
    """The model of one harvested dataset."""

    def __init__(self, values: dict) -> None:
        self.values = dict(values)
        self.status = "active"
        self.overrides: dict[str, object] = {}  # field -> what the source says
        self.pending: dict[str, object] = {}  # field -> proposed value
        self.withdrawn_by_harvest = False

    def rights_ok(self, field: str, value: object) -> bool:
        level = value if field == "access_level" else self.values["access_level"]
        rights = value if field == "rights" else self.values["rights"]
        return level == "public" or bool(rights)


class OwnershipMachine(RuleBasedStateMachine):
    def __init__(self, app, folder: Path) -> None:
        super().__init__()
        self.app = app
        self.context = app.app_context()
        self.context.push()
        _empty_tables(app)
        self.path = folder / "data.json"
        self.source = add_source(
            db.session, "model", "dcat-us", str(self.path), "test", agency_code="DPH"
        )
        self.actor = create_user(db.session, "cdo@model.ct.gov", "cdo", password=None)
        db.session.commit()
        self.entries: list[dict] = []  # what the source lists next (duplicates allowed)
        self.held: dict[str, Held] = {}

    def teardown(self) -> None:
        db.session.rollback()
        db.session.remove()
        self.context.pop()

    # -- the source changes --------------------------------------------------------------------

    @rule(identifier=st.sampled_from(IDS), record=records)
    def list_record(self, identifier, record):
        self.entries = [e for e in self.entries if e["identifier"] != identifier]
        self.entries.append(_entry(identifier, record))

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), record=records)
    def change_record(self, data, record):
        index = data.draw(st.integers(0, len(self.entries) - 1))
        self.entries[index] = _entry(self.entries[index]["identifier"], record)

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def drop_record(self, data):
        self.entries.pop(data.draw(st.integers(0, len(self.entries) - 1)))

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), title=titles)
    def repeat_identifier(self, data, title):
        first = self.entries[data.draw(st.integers(0, len(self.entries) - 1))]
        self.entries.append({"identifier": first["identifier"], "title": title})

    # -- a harvest -----------------------------------------------------------------------------

    @rule()
    def harvest(self):
        self.path.write_text(json.dumps({"dataset": self.entries}))
        job = run_harvest(db.session, db.session.merge(self.source), self.app.config)
        listed = {}
        for entry in self.entries:  # the first of repeated identifiers wins
            listed.setdefault(entry["identifier"], entry)
        if not self.entries and any(h.status == "active" for h in self.held.values()):
            assert job.status == "failed"  # a source listing nothing withdraws nothing
            return
        assert job.status == "succeeded", job.error
        for identifier, entry in listed.items():
            says = source_says(entry)
            if says is None:
                continue  # a record error: the dataset stays as it was
            if identifier not in self.held:
                self.held[identifier] = Held(says)
            else:
                self._follow(self.held[identifier], says)
        for identifier, held in self.held.items():
            gone = identifier not in listed and held.status == "active"
            if gone and not held.withdrawn_by_harvest:
                held.status, held.withdrawn_by_harvest = "withdrawn", True

    def _follow(self, held: Held, says: dict) -> None:
        if held.withdrawn_by_harvest:
            held.status, held.withdrawn_by_harvest = "active", False
        for field in TRACKED:
            value, now = says[field], held.values[field]
            if field not in SIGN_OFF:
                if field in held.overrides:
                    held.overrides[field] = value
                else:
                    held.values[field] = value
            elif field in held.pending:
                if value == now:
                    del held.pending[field]
                else:
                    held.pending[field] = value
            elif field in held.overrides:
                if value == now:
                    del held.overrides[field]
                elif value != held.overrides[field]:
                    del held.overrides[field]
                    held.pending[field] = value
            elif value != now:
                held.pending[field] = value

    # -- stewards ------------------------------------------------------------------------------

    def _pick(self, data) -> tuple[str, Held]:
        identifier = data.draw(st.sampled_from(sorted(self.held)))
        return identifier, self.held[identifier]

    def _id(self, identifier: str) -> str:
        return db.session.scalar(select(Dataset.id).where(Dataset.identifier == identifier))

    @precondition(lambda self: self.held)
    @rule(data=st.data(), field=st.sampled_from(EDITABLE))
    def steward_edits(self, data, field):
        identifier, held = self._pick(data)
        if field == "keyword":
            value = data.draw(st.lists(st.sampled_from(["local", "health"]), unique=True))
            payload = {"keyword": value}
        elif field == "access_level":
            value = data.draw(st.sampled_from(["public", "restricted public", "non-public"]))
            payload = {"accessLevel": value}
        elif field == "license":
            value = data.draw(st.sampled_from([*LICENSES, None]))
            payload = {"license": value or ""}
        else:
            value = text(data.draw(titles)) or "A steward's words"
            payload = {field: value}
        user = db.session.get(User, self.actor.id)
        try:
            update_dataset(db.session, self._id(identifier), payload, user)
        except InvalidInput:
            db.session.rollback()
            assert not held.rights_ok(field, value)
            return
        db.session.commit()
        assert held.rights_ok(field, value)
        before = held.values[field]
        if value == before:
            return
        held.values[field] = value
        if field in held.pending:
            if value == held.pending[field]:
                del held.pending[field]
        elif field in held.overrides:
            if value == held.overrides[field]:
                del held.overrides[field]
        else:
            held.overrides[field] = before

    @precondition(lambda self: any(h.pending for h in self.held.values()))
    @rule(data=st.data(), accept=st.booleans())
    def steward_decides(self, data, accept):
        identifier = data.draw(
            st.sampled_from(sorted(i for i, h in self.held.items() if h.pending))
        )
        held = self.held[identifier]
        field = data.draw(st.sampled_from(sorted(held.pending)))
        user = db.session.get(User, self.actor.id)
        proposed = held.pending[field]
        try:
            decide_pending_change(
                db.session, self._id(identifier), field, "accept" if accept else "reject", user
            )
        except InvalidInput:
            db.session.rollback()
            assert accept and not held.rights_ok(field, proposed)
            return
        db.session.commit()
        del held.pending[field]
        if accept:
            assert held.rights_ok(field, proposed)
            held.values[field] = proposed
        else:
            held.overrides[field] = proposed

    @precondition(lambda self: any(h.overrides for h in self.held.values()))
    @rule(data=st.data())
    def steward_follows_the_source(self, data):
        identifier = data.draw(
            st.sampled_from(sorted(i for i, h in self.held.items() if h.overrides))
        )
        held = self.held[identifier]
        field = data.draw(st.sampled_from(sorted(held.overrides)))
        says = held.overrides[field]
        try:
            follow_source(
                db.session, self._id(identifier), field, db.session.get(User, self.actor.id)
            )
        except InvalidInput:
            db.session.rollback()
            assert not held.rights_ok(field, says)
            return
        db.session.commit()
        held.values[field] = says
        del held.overrides[field]

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def steward_withdraws_or_restores(self, data):
        identifier, held = self._pick(data)
        user = db.session.get(User, self.actor.id)
        if held.status == "active":
            withdraw_dataset(db.session, self._id(identifier), user)
            held.status = "withdrawn"
        else:
            restore_dataset(db.session, self._id(identifier), user)
            held.status = "active"
        db.session.commit()

    # -- the database agrees with the model ----------------------------------------------------

    @invariant()
    def database_matches_the_model(self):
        db.session.expire_all()
        datasets = {d.identifier: d for d in db.session.scalars(select(Dataset))}
        assert set(datasets) == set(self.held)
        for identifier, held in self.held.items():
            dataset = datasets[identifier]
            actual = {f: getattr(dataset, f) for f in TRACKED if f != "agency"}
            actual["agency"] = dataset.agency.code
            assert actual == held.values, identifier
            assert dataset.status == held.status, identifier
            overrides = db.session.scalars(
                select(FieldOverride).where(FieldOverride.dataset_id == dataset.id)
            )
            assert {o.field: o.source_value for o in overrides} == held.overrides, identifier
            pending = db.session.scalars(
                select(PendingChange).where(PendingChange.dataset_id == dataset.id)
            )
            assert {p.field: p.proposed for p in pending} == held.pending, identifier


def _entry(identifier: str, record: dict) -> dict:
    """A DCAT-US 1.1 entry (the publisher is an object)."""
    entry = {"identifier": identifier, **record}
    if "publisher" in entry:
        entry["publisher"] = {"name": entry["publisher"]}
    return entry


def _empty_tables(app) -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(delete(table))
    search_index.clear_index(app)


def test_harvests_and_stewards_agree_with_the_model(app, tmp_path):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        lambda: OwnershipMachine(app, tmp_path),
        settings=settings(
            max_examples=int(os.environ.get("MODEL_EXAMPLES", 40)),
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
