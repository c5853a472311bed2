"""Export fragments are derived state: after any sequence of creates, edits, distribution changes,
withdrawals, reinstatements and agency renames, the catalog files assembled from fragments equal
the same files built directly from the database by the mapping (the reference)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import delete, select

from catalog.db import db
from catalog.dcat.records import ExportContext, load_records
from catalog.dcat.v3 import to_v3
from catalog.dcat.v11 import export_v11
from catalog.exports.catalogs import iter_catalog, prepare
from catalog.models import STATUS_ACTIVE, Agency, Dataset
from catalog.services.datasets import create_dataset, update_dataset
from tests.conftest import dataset_payload

CTX = ExportContext(base_url="https://catalog.example/")
TITLES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
).filter(lambda t: t.strip())
LEVELS = st.sampled_from(["public", "restricted public", "non-public"])


def assembled(name: str) -> dict:
    prepare(db.session, name, CTX)
    db.session.commit()
    return json.loads("".join(iter_catalog(db.session, name, CTX)))


def reference(build) -> list[dict]:
    ids = list(
        db.session.scalars(
            select(Dataset.id).where(Dataset.status == STATUS_ACTIVE).order_by(Dataset.id)
        )
    )
    return [build(record, CTX) for record in load_records(db.session, ids)]


def machine_for(app):
    class FragmentMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.ids: list[str] = []
            self.count = 0

        @rule(
            title=TITLES,
            level=LEVELS,
            formats=st.lists(st.sampled_from(["csv", "Json", "api"]), max_size=2),
        )
        def create(self, title: str, level: str, formats: list[str]) -> None:
            self.count += 1
            dists = [
                {"accessURL": f"https://x.gov/{self.count}/{i}", "format": f}
                for i, f in enumerate(formats)
            ]
            dataset = create_dataset(
                db.session,
                dataset_payload(
                    identifier=f"state-{self.count}", title=title, accessLevel=level,
                    rights=None if level == "public" else "Ask the agency.",
                    distribution=dists, temporal="2020-01-01/2021-12-31",
                ),
                "test",
            )  # fmt: skip
            db.session.commit()
            self.ids.append(dataset.id)

        @precondition(lambda self: self.ids)
        @rule(data=st.data(), title=TITLES)
        def retitle(self, data, title: str) -> None:
            dataset_id = data.draw(st.sampled_from(self.ids))
            update_dataset(db.session, dataset_id, {"title": title}, "test")
            db.session.commit()

        @precondition(lambda self: self.ids)
        @rule(data=st.data())
        def replace_distributions(self, data) -> None:
            dataset_id = data.draw(st.sampled_from(self.ids))
            url = f"https://x.gov/replaced/{data.draw(st.integers(0, 9))}"
            update_dataset(
                db.session,
                dataset_id,
                {"distribution": [{"accessURL": url, "format": "xml"}]},
                "test",
            )
            db.session.commit()

        @precondition(lambda self: self.ids)
        @rule(data=st.data(), status=st.sampled_from(["withdrawn", "active"]))
        def set_status(self, data, status: str) -> None:
            dataset_id = data.draw(st.sampled_from(self.ids))
            update_dataset(db.session, dataset_id, {"status": status}, "test")
            db.session.commit()

        @rule(name=TITLES)
        def rename_agency(self, name: str) -> None:
            agency = db.session.scalar(select(Agency).where(Agency.code == "DPH"))
            agency.name = name
            db.session.commit()

        @invariant()
        def files_equal_the_reference(self) -> None:
            assert assembled("data.json")["dataset"] == reference(export_v11)
            assert assembled("dcat-us-3")["dataset"] == reference(
                lambda r, c: json.loads(json.dumps(to_v3(r, c)))
            )

        def teardown(self) -> None:
            db.session.rollback()
            db.session.execute(delete(Dataset))
            agency = db.session.scalar(select(Agency).where(Agency.code == "DPH"))
            agency.name = "Department of Public Health"
            db.session.commit()

    return FragmentMachine


def test_fragments_follow_every_change(app_ctx) -> None:
    machine = machine_for(app_ctx)
    machine.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    machine.TestCase().runTest()
