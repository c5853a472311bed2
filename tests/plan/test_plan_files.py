"""The plan as data: every file in config/plan loads, the Phase 1 principles are the source's
words, placeholders say they are examples, and a bad file stops init naming the file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.cli import init_command
from catalog.models import PlanObjective, PlanVersion
from catalog.models.plan import EXAMPLE_MARKER
from catalog.services.bootstrap import init_catalog
from catalog.services.plan import (
    PlanFileError,
    get_version,
    load_plan_versions,
    principle_keys,
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
        assert version.title == data["title"]
        assert [p.key for p in version.principles] == [p["id"] for p in data["principle"]]
        for goal in version.goals:
            assert goal.term in ("two-year", "longer-term")
            assert goal.objectives, f"{path.name}: goal {goal.key} has no objective"
            for objective in goal.objectives:
                assert objective.metric and objective.target is not None and objective.due
    # Loading the same files again changes nothing: init is idempotent.
    assert load_plan_versions(session, PLAN_DIR) == (0, 0)


def test_phase1_principles_are_the_source_text_verbatim_with_their_groups(session):
    expected = source_principles()
    assert sorted(expected, key=lambda k: int(k[1:])) == [f"P{i}" for i in range(1, 13)]
    draft = get_version(session, "2018-phase1-draft")
    shipped = {p.key: (p.group_key, p.text) for p in draft.principles}
    assert shipped == expected
    assert not any(p.example for p in draft.principles)
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
    assert (draft.status, str(draft.issued)[:7]) == ("draft", "2018-08")


def test_content_not_in_the_source_is_shipped_only_as_labelled_examples(session):
    for version in session.scalars(select(PlanVersion)):
        version = get_version(session, version.key)
        elements = [*version.goals, *version.focal_points]
        if version.key != "2018-phase1-draft":
            elements += version.principles
        for element in elements:
            text = getattr(element, "title", None) or element.text
            assert element.example, f"{version.key} {element.key} is not marked example"
            assert text.startswith(EXAMPLE_MARKER), text
        for goal in version.goals:
            for objective in goal.objectives:
                assert objective.example and objective.text.startswith(EXAMPLE_MARKER)
    final = get_version(session, "2018-final")
    assert (final.status, str(final.issued)) == ("final", "2018-12-31")
    assert len(final.principles) == 11  # the final plan's count, text still to be supplied


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
            EXAMPLE_MARKER,
        ),
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


def test_init_updates_existing_rows_by_key_and_keeps_cdo_edits_until_the_file_changes(
    app, session, tmp_path
):
    plan_dir = tmp_path / "plan"
    shutil.copytree(PLAN_DIR, plan_dir)
    objective = session.scalar(
        select(PlanObjective)
        .where(PlanObjective.key == "G1.1")
        .join(PlanObjective.goal)
        .where(PlanObjective.goal.has(version=get_version(session, "2018-phase1-draft")))
    )
    objective_id = objective.id
    objective.target = 90  # as if the CDO had edited it on the admin page
    session.flush()
    assert load_plan_versions(session, plan_dir) == (0, 0)
    assert session.get(PlanObjective, objective_id).target == 90

    draft = plan_dir / "2018-phase1-draft.toml"
    draft.write_text(
        draft.read_text(encoding="utf-8").replace("target = 75", "target = 60"), encoding="utf-8"
    )
    assert load_plan_versions(session, plan_dir) == (0, 1)
    assert session.get(PlanObjective, objective_id).target == 60  # same row, updated by key
    session.rollback()


def test_init_catalog_reports_plan_versions(app, session):
    loaded = init_catalog(session, Path(app.config["CONFIG_DIR"]))
    assert loaded["plan versions"] == (0, 0)
    session.rollback()
