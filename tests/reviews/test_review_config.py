"""The declared data: legal authorities loaded by init, the timeline and the clause checklist."""

from __future__ import annotations

import tomllib

import pytest
from sqlalchemy import select

from catalog.db import db
from catalog.models import LegalAuthority
from catalog.services.review_config import (
    DeclaredDataError,
    get_clauses,
    get_timeline,
    load_authorities,
    parse_authorities,
    parse_timeline,
)
from config.settings import CONFIG_DIR


def test_init_loads_every_authority_with_its_citation(session):
    authorities = {a.code: a for a in session.scalars(select(LegalAuthority))}
    assert authorities["HIPAA"].citation == "45 CFR Parts 160 and 164"
    assert authorities["FERPA"].citation == "20 U.S.C. § 1232g; 34 CFR Part 99"
    assert authorities["42CFR2"].citation == "42 CFR Part 2"
    assert authorities["IRS1075"].citation.startswith("IRS Publication 1075")
    assert authorities["CJIS"].citation == "FBI CJIS Security Policy"
    assert authorities["CGS-4-67AA"].citation == "CGS § 4-67aa"
    assert any("business associate" in r.lower() for r in authorities["HIPAA"].resolutions)
    assert any("security addendum" in r.lower() for r in authorities["CJIS"].resolutions)


def test_loading_authorities_again_changes_nothing(session):
    assert load_authorities(session, CONFIG_DIR / "authorities.toml") == (0, 0)


def test_runner_init_reports_the_authorities(runner):
    from catalog.cli import init_command

    result = runner.invoke(init_command)
    assert result.exit_code == 0, result.output
    assert "legal authorities: 0 added, 0 updated" in result.output


def test_bad_authority_files_are_refused_with_where():
    with pytest.raises(DeclaredDataError, match="authority #1: 'citation'"):
        parse_authorities({"authority": [{"code": "X", "name": "n", "summary": "s"}]})
    with pytest.raises(DeclaredDataError, match="unknown obstacle kinds"):
        parse_authorities(
            {"authority": [{"code": "X", "citation": "c", "name": "n", "summary": "s",
                            "obstacle_kinds": ["moral"]}]}
        )  # fmt: skip


def test_timeline_has_days_for_each_open_stage():
    timeline = get_timeline()
    assert timeline.days_for("identified") == 30 and timeline.days_for("in_review") == 90
    assert timeline.days_for("restricted") is None
    assert timeline.agreement_expiry_warning_days == 60
    with pytest.raises(DeclaredDataError, match="in_review"):
        parse_timeline({"stage": {"identified": {"days": 10}}})
    with pytest.raises(DeclaredDataError, match="days must be"):
        parse_timeline({"stage": {"identified": {"days": 0}, "in_review": {"days": 5}}})


def test_clause_checklist_follows_cgs_4_67aa():
    codes = [c.code for c in get_clauses()]
    assert codes == [
        "purpose", "individuals", "no_onward_sharing", "no_copying", "secure_storage",
        "breach_notification",
    ]  # fmt: skip
    with (CONFIG_DIR / "authorities.toml").open("rb") as handle:
        assert tomllib.load(handle)["agreement_clause"][0]["code"] == "purpose"


def test_authorities_survive_between_tests(app):
    with app.app_context():
        assert db.session.scalar(select(LegalAuthority).where(LegalAuthority.code == "HIPAA"))


def test_cli_lists_overdue_reviews_and_writes_the_report(runner, open_review, clock, tmp_path):
    from datetime import date

    from catalog.review_cli import reviews

    clock(date(2026, 1, 1))
    review = open_review()
    clock(date(2026, 3, 2))
    result = runner.invoke(reviews, ["overdue"])
    assert result.exit_code == 0, result.output
    assert f"#{review.id}\tidentified\tdue 2026-01-31 (30 d)" in result.output
    out = tmp_path / "report.csv"
    result = runner.invoke(reviews, ["report", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 reviews" in result.output
    assert "2026,state,identified,Identified,reviews,1" in out.read_text()
    bad = runner.invoke(reviews, ["report", "--out", str(tmp_path / "report.pdf")])
    assert bad.exit_code != 0 and "csv or .xlsx" in bad.output
