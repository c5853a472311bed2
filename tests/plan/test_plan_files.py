"""The plan's shipped files: every file in config/plan imports, the Phase 1 principles are the
source's words, nothing else pretends to be plan text, a bad file stops init naming the file,
and after init the database (not the file) is the plan's source of truth; TOML round-trips."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.cli import init_command
from catalog.models import PlanVersion
from catalog.plan_cli import plan as plan_commands
from catalog.services import plan_authoring
from catalog.services.bootstrap import init_catalog
from catalog.services.plan import PlanFileError, get_version, principle_keys
from catalog.services.plan_io import (
    export_data,
    export_toml,
    import_plan,
    load_plan_versions,
    read_plan_file,
)
from tests.conftest import FIXTURE_DIR

PLAN_DIR = Path(__file__).resolve().parents[2] / "config" / "plan"
SOURCE = FIXTURE_DIR / "plan" / "ct-state-data-plan.md"
EXPECTED_VERSIONS = {
    "2018-phase1-draft", "2018-final", "2019-2020", "2021-2022", "2023-2024", "2025-2026",
}  # fmt: skip


def source_principles() -> dict[str, tuple[str, str]]:
    """P1..P12 from section 3 of the source notes: id -> (group letter, quoted text)."""
    section = SOURCE.read_text(encoding="utf-8").split("## 3.")[1].split("## 4.")[0]
    found, group = {}, None
    for line in section.splitlines():
        heading = re.match(r'\*\*Group ([ABC]) — "(.+)"\*\*', line)
        if heading:
            group = heading.group(1)
        row = re.match(r'\| (P\d+) \| "(.+)" \|$', line)
        if row:
            found[row.group(1)] = (group, row.group(2))
    return found


def test_every_plan_file_loads_and_is_in_the_database(session):
    files = sorted(PLAN_DIR.glob("*.toml"))
    assert {path.stem for path in files} == EXPECTED_VERSIONS
    for path in files:
        data = read_plan_file(path)
        version = get_version(session, data["key"])
        assert version.title == data["title"] and version.status == data["status"]
        assert [p.key for p in version.principles] == [p["id"] for p in data["principle"]]
    # Loading the same files again changes nothing: init is idempotent.
    assert load_plan_versions(session, PLAN_DIR) == (0, 0)


def test_phase1_principles_are_the_source_text_verbatim_with_their_groups(session):
    expected = source_principles()
    assert sorted(expected, key=lambda k: int(k[1:])) == [f"P{i}" for i in range(1, 13)]
    draft = get_version(session, "2018-phase1-draft")
    shipped = {p.key: (p.group_key, p.text) for p in draft.principles}
    assert shipped == expected
    assert principle_keys(session, "2018-phase1-draft") == set(expected)
    assert principle_keys(session, "no-such-plan") == set()
    groups = {g["key"]: g["title"] for g in draft.groups}
    assert groups == {
        "A": "State data assets require careful and proactive stewardship",
        "B": "Create once use many times",
        "C": "Analysis and sharing of data is necessary",
    }
    assert draft.source_url == "https://data.ct.gov/stories/s/7bbt-9ddr"
    assert str(draft.comment_closes) == "2018-08-24"
    assert (draft.status, str(draft.issued)[:7]) == ("superseded", "2018-08")


def test_text_not_in_the_source_is_not_shipped_at_all(session):
    """No placeholder poses as the plan: versions whose text was not obtained have none."""
    for version in session.scalars(select(PlanVersion)):
        version = get_version(session, version.key)
        text = export_toml(version)
        assert "Example" not in text and "placeholder" not in text.lower()
        if version.key != "2018-phase1-draft":
            assert not (version.principles or version.goals or version.focal_points), version.key
        assert "shared/" not in (version.summary or "") + (version.issued_note or "")
    draft = get_version(session, "2018-phase1-draft")
    assert not draft.goals and not draft.focal_points  # not in the source, so not shipped
    statuses = {v.key: v.status for v in session.scalars(select(PlanVersion))}
    assert statuses.pop("2025-2026") == "final"
    assert set(statuses.values()) == {"superseded"}


def _copy_config(tmp_path: Path, app) -> Path:
    config = tmp_path / "config"
    shutil.copytree(app.config["CONFIG_DIR"], config, ignore=shutil.ignore_patterns("__pycache__"))
    return config


def test_a_bad_plan_file_stops_init_with_a_message_naming_the_file(
    app, runner, tmp_path, monkeypatch
):
    config = _copy_config(tmp_path, app)
    bad = config / "plan" / "2027-2028.toml"
    bad.write_text(
        'key = "2027-2028"\ntitle = "Next plan"\nstatus = "final"\n'
        '[[principle]]\nid = "P1"\n',  # no text
        encoding="utf-8",
    )
    monkeypatch.setitem(app.config, "CONFIG_DIR", str(config))

    result = runner.invoke(init_command)

    assert result.exit_code == 1
    assert "2027-2028.toml" in result.output
    assert "principle[0].text" in result.output
    with app.app_context():
        from catalog.db import db

        assert db.session.scalar(select(PlanVersion).where(PlanVersion.key == "2027-2028")) is None


HEAD = 'key = "bad"\ntitle = "T"\nstatus = "final"\n'


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('key = "x"\ntitle = "T"\nstatus = "final"\n', "must match the file name"),
        ('key = "bad"\ntitle = "T"\nstatus = "published"\n', "status"),
        (
            HEAD + '[[principle]]\nid = "P1"\ngroup = "Z"\ntext = "t"\n',
            "group 'Z'",
        ),
        (
            HEAD + '[[focal_point]]\nid = "F1"\nexample = true\ntitle = "Open data"\n',
            "example",
        ),
        (HEAD + "[period]\nstarts = 2020-01-01\nends = 2019-01-01\n", "ends"),
        (
            HEAD + '[[goal]]\nid = "G1"\nterm = "someday"\ntitle = "t"\n',
            "goal[0].term",
        ),
        (
            HEAD + "[comment_window]\nopens = 2019-01-02\ncloses = 2019-01-01\n",
            "closes",
        ),
        ('key = "bad"\ntitle = "T"\nstatus = "final"\nsurprise = 1\n', "surprise"),
        ('key = "bad"\ntitle = "T"\nstatus = ', "cannot be read"),
    ],
)
def test_invalid_plan_files_are_refused_with_the_problem(tmp_path, content, problem):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path)
    assert caught.value.errors.keys() == {str(path)}
    assert problem in str(caught.value)


def test_after_init_the_database_is_the_source_of_truth(app, session, tmp_path, make_user):
    """A changed file does not overwrite what the CDO wrote in the catalog."""
    cdo = session.merge(make_user("cdo", email="cdo@opm.ct.gov"))
    plan_authoring.save_element(
        session, "2018-phase1-draft", "principle", {"group": "A", "text": "Edited by the CDO."},
        cdo, element_key="P1",
    )  # fmt: skip
    plan_dir = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, plan_dir)
    draft = plan_dir / "2018-phase1-draft.toml"
    draft.write_text(
        draft.read_text(encoding="utf-8").replace("Appreciate that", "The file says"),
        encoding="utf-8",
    )
    assert load_plan_versions(session, plan_dir) == (0, 0)
    text = next(p.text for p in get_version(session, "2018-phase1-draft").principles)
    assert text == "Edited by the CDO."
    # A file for a version the catalog lacks is imported once.
    (plan_dir / "2027-2028.toml").write_text(
        'key = "2027-2028"\ntitle = "State Data Plan 2027-2028"\nstatus = "draft"\n',
        encoding="utf-8",
    )
    assert load_plan_versions(session, plan_dir) == (1, 0)
    assert get_version(session, "2027-2028").status == "draft"
    assert load_plan_versions(session, plan_dir) == (0, 0)
    session.commit()  # the test's audit events make the cleanup restore the shipped plan


def test_a_version_exported_as_toml_imports_back_the_same(
    app, session, make_user, runner, tmp_path
):
    cdo = session.merge(make_user("cdo", email="cdo@opm.ct.gov"))
    version = plan_authoring.create_version(
        session, cdo, key="2027-2028", title="Plan 2027–2028 «draft»", copy_from="2018-phase1-draft"
    )
    goal = plan_authoring.save_element(
        session, version.key, "goal",
        {"key": "G1", "term": "two-year", "title": "Every agency inventories its data"}, cdo,
    )  # fmt: skip
    plan_authoring.save_element(
        session, version.key, "objective",
        {"key": "G1.1", "text": "Inventories submitted", "metric": "agencies", "target": "42",
         "unit": "agencies", "due": "2028-12-31"},
        cdo, goal_key=goal.key,
    )  # fmt: skip
    session.commit()
    original = export_data(get_version(session, "2027-2028"))

    out = tmp_path / "2027-2028.toml"
    exported = runner.invoke(plan_commands, ["export", "2027-2028", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    text = out.read_text(encoding="utf-8")
    assert "Plan 2027–2028 «draft»" in text and 'id = "G1.1"' in text

    refused = runner.invoke(plan_commands, ["import", str(out)])
    assert refused.exit_code == 1 and "exists" in refused.output
    changed = text.replace("Every agency inventories its data", "Every agency inventories")
    out.write_text(changed, encoding="utf-8")
    replaced = runner.invoke(plan_commands, ["import", str(out), "--replace"])
    assert replaced.exit_code == 0, replaced.output
    with app.app_context():
        from catalog.db import db

        again = export_data(get_version(db.session, "2027-2028"))
    assert again["goal"][0]["title"] == "Every agency inventories"
    again["goal"][0]["title"] = original["goal"][0]["title"]
    assert again == original
    assert export_data(import_plan(session, text.replace("2027-2028", "2029-2030"), "test"))[
        "principle"
    ]


def test_init_catalog_reports_plan_versions(app, session):
    loaded = init_catalog(session, Path(app.config["CONFIG_DIR"]))
    assert loaded["plan versions"] == (0, 0)
    session.rollback()
