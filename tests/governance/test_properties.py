"""Derived state checked against a plain reference (hypothesis state machines): reconciliation
and coverage after any sequence of registrations, harvest links, access changes and withdrawals;
a plan version's order of principles after any sequence of the CDO's adds, moves and removals."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select

from catalog.db import db
from catalog.models import Dataset, HarvestLink, HarvestSource
from catalog.services import plan_authoring
from catalog.services.datasets import create_dataset, update_dataset, withdraw_dataset
from catalog.services.harvest import add_source
from catalog.services.plan import get_version
from catalog.services.reconciliation import LISTS, coverage_by_agency, reconcile
from tests.conftest import dataset_payload

SETTINGS = settings(
    max_examples=15,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_reconciliation_matches_a_reference_model(app, make_user):
    cdo = make_user("cdo", email="ref-cdo@ct.gov")
    counter = itertools.count()

    class Reconciliation(RuleBasedStateMachine):
        datasets = Bundle("datasets")

        def __init__(self) -> None:
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            db.session.execute(delete(HarvestLink))
            db.session.execute(delete(HarvestSource))
            db.session.execute(delete(Dataset))
            self.source = {
                role: add_source(db.session, f"ref-{role}", "dcat-us", f"/tmp/{role}.json",
                                 "test", agency_code="DPH", role=role).id
                for role in ("inventory", "portal")
            }  # fmt: skip
            db.session.commit()
            self.model: dict[str, dict] = {}
            self.cdo = db.session.merge(cdo)

        def teardown(self) -> None:
            db.session.rollback()
            db.session.remove()
            self.ctx.pop()

        @rule(
            target=datasets,
            public=st.booleans(),
            agency=st.sampled_from(["DPH", "DOT"]),
            title=st.text(alphabet="abcé ", min_size=1, max_size=12),
        )
        def register(self, public, agency, title):
            n = next(counter)
            payload = dataset_payload(
                title=f"{title.strip() or 'x'} {n}", identifier=f"urn:ref:{n}", agency=agency,
                accessLevel="public" if public else "non-public",
                rights=None if public else "Confidential.",
            )  # fmt: skip
            dataset = create_dataset(db.session, payload, "test")
            db.session.commit()
            self.model[dataset.id] = {
                "identifier": dataset.identifier, "agency": agency, "public": public,
                "links": set(), "active": True,
            }  # fmt: skip
            return dataset.id

        @rule(dataset=datasets, role=st.sampled_from(["inventory", "portal"]))
        def link(self, dataset, role):
            entry = self.model[dataset]
            if role in entry["links"]:
                return
            db.session.add(
                HarvestLink(source_id=self.source[role], identifier=entry["identifier"],
                            dataset_id=dataset, hash="h", owner=False)
            )  # fmt: skip
            db.session.commit()
            entry["links"].add(role)

        @rule(dataset=datasets, role=st.sampled_from(["inventory", "portal"]))
        def unlink(self, dataset, role):
            db.session.execute(
                delete(HarvestLink).where(
                    HarvestLink.dataset_id == dataset,
                    HarvestLink.source_id == self.source[role],
                )
            )
            db.session.commit()
            self.model[dataset]["links"].discard(role)

        @rule(dataset=datasets, public=st.booleans())
        def change_access(self, dataset, public):
            update_dataset(
                db.session, dataset,
                {"accessLevel": "public" if public else "non-public", "rights": "Stated."},
                "test",
            )  # fmt: skip
            db.session.commit()
            self.model[dataset]["public"] = public

        @rule(dataset=consumes(datasets))
        def withdraw(self, dataset):
            withdraw_dataset(db.session, dataset, "test")
            db.session.commit()
            self.model[dataset]["active"] = False

        def reference(self) -> dict[str, set[str]]:
            lists = {name: set() for name in LISTS}
            for entry in self.model.values():
                if not entry["active"]:
                    continue
                published = "portal" in entry["links"]
                inventoried = "inventory" in entry["links"] or not published
                if inventoried and not published and entry["public"]:
                    lists["inventoried_not_published"].add(entry["identifier"])
                if published and not inventoried:
                    lists["published_not_inventoried"].add(entry["identifier"])
                if published and not entry["public"]:
                    lists["access_mismatch"].add(entry["identifier"])
            return lists

        @invariant()
        def lists_and_coverage_agree_with_the_reference(self):
            expected = self.reference()
            result = reconcile(db.session, self.cdo)
            for name in LISTS:
                assert {i["identifier"] for i in result[name]} == expected[name], name
                assert result["counts"][name] == len(expected[name])
            coverage = {row["code"]: row for row in coverage_by_agency(db.session)}
            for code in ("DPH", "DOT"):
                mine = {i for i, e in self.model.items() if e["agency"] == code and e["active"]}
                assert coverage[code]["datasets"] == len(mine)
                for name in LISTS:
                    ids = {self.model[i]["identifier"] for i in mine}
                    assert coverage[code][name] == len(expected[name] & ids), (code, name)

    run_state_machine_as_test(Reconciliation, settings=SETTINGS)


def test_principle_order_matches_a_reference_model(app, make_user):
    cdo = make_user("cdo", email="author@ct.gov")
    versions = itertools.count()

    class Ordering(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            self.cdo = db.session.merge(cdo)
            self.key = f"ref-{next(versions)}"
            plan_authoring.create_version(db.session, self.cdo, key=self.key, title="Reference")
            db.session.commit()
            self.live: list[str] = []
            self.removed: set[str] = set()
            self.keys = itertools.count(1)

        def teardown(self) -> None:
            db.session.rollback()
            db.session.remove()
            self.ctx.pop()

        @rule(text=st.text(alphabet="abc déf", min_size=1, max_size=20).filter(str.strip))
        def add(self, text):
            key = f"P{next(self.keys)}"
            plan_authoring.save_element(
                db.session, self.key, "principle", {"key": key, "text": text}, self.cdo
            )
            db.session.commit()
            self.live.append(key)

        @rule(data=st.data(), offset=st.sampled_from([-1, 1]))
        def move(self, data, offset):
            if not self.live:
                return
            key = data.draw(st.sampled_from(self.live))
            plan_authoring.move_element(db.session, self.key, "principle", key, offset, self.cdo)
            db.session.commit()
            i = self.live.index(key)
            j = i + offset
            if 0 <= j < len(self.live):
                self.live[i], self.live[j] = self.live[j], self.live[i]

        @rule(data=st.data())
        def remove(self, data):
            if not self.live:
                return
            key = data.draw(st.sampled_from(self.live))
            plan_authoring.remove_element(db.session, self.key, "principle", key, self.cdo)
            db.session.commit()
            self.live.remove(key)
            self.removed.add(key)

        @rule(data=st.data())
        def bring_back(self, data):
            if not self.removed:
                return
            key = data.draw(st.sampled_from(sorted(self.removed)))
            plan_authoring.save_element(
                db.session, self.key, "principle", {"key": key, "text": "Again."}, self.cdo
            )
            db.session.commit()
            self.removed.discard(key)
            self.live.append(key)

        @invariant()
        def the_version_shows_the_reference_order(self):
            db.session.expire_all()
            version = get_version(db.session, self.key)
            shown = [
                p.key
                for p in sorted(version.principles, key=lambda p: (p.position, p.id))
                if not p.retired
            ]
            assert shown == self.live

    run_state_machine_as_test(Ordering, settings=SETTINGS)
    with app.app_context():  # the versions it wrote go with the cleanup's plan reload
        assert db.session.scalar(select(Dataset.id)) is None
