"""The demo files its samples under the agencies that published them, else "unassigned":
none of them was published by a Connecticut agency."""

from __future__ import annotations

from sqlalchemy import func, select

from catalog.cli import demo_command
from catalog.db import db
from catalog.models import Agency, Dataset, HarvestSource
from catalog.services.reconciliation import reconcile
from catalog.services.users import get_user_by_email


def test_demo_samples_are_never_filed_under_a_connecticut_agency(app, runner):
    result = runner.invoke(demo_command, ["--no-serve"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        by_agency = dict(
            db.session.execute(
                select(Agency.code, func.count(Dataset.id))
                .join(Dataset, Dataset.agency_id == Agency.id)
                .group_by(Agency.code)
            ).all()
        )
        assert set(by_agency) == {"UNASSIGNED"} and by_agency["UNASSIGNED"] > 40
        roles = dict(db.session.execute(select(HarvestSource.name, HarvestSource.role)).all())
        assert roles == {
            "demo-cdc": "portal",
            "demo-wa-2013": "portal",
            "demo-dayton-inventory": "inventory",
        }
        assert (
            db.session.scalar(
                select(HarvestSource.agency_code).where(HarvestSource.agency_code.is_not(None))
            )
            is None
        )
        # Portals and the inventory disagree, so the CDO's reconciliation has work to show.
        cdo = get_user_by_email(db.session, "cdo@ct.gov")
        counts = reconcile(db.session, cdo)["counts"]
        assert counts["published_not_inventoried"] > 0 and counts["inventoried_not_published"] > 0
