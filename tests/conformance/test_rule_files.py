"""Rule files are data: validated at start-up, and a changed file changes results without code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog import create_app
from catalog.db import db
from catalog.standards import StandardsError, load_rule_sets
from config.settings import CONFIG_DIR
from tests.conformance.conftest import GOOD_PUBLIC

DEFAULTS = CONFIG_DIR / "standards"
SCHEMAS = CONFIG_DIR / "schemas"


@pytest.fixture(autouse=True)
def _restore_engine(app):
    """Building another app re-binds the shared session; point it back at the test database."""
    yield
    db.configure(app.config["DATABASE_URL"])


def _rules_dir(tmp_path: Path) -> Path:
    target = tmp_path / "standards"
    shutil.copytree(DEFAULTS, target)
    return target


def _app_with(rules: Path, app):
    config = {
        key: app.config[key] for key in ("DATABASE_URL", "INSTANCE_DIR", "INDEX_DIR", "SECRET_KEY")
    }
    return create_app({"ENV_NAME": "testing", "STANDARDS_DIR": str(rules), **config})


def test_every_shipped_rule_file_loads_and_names_plan_principles() -> None:
    rule_set = load_rule_sets(DEFAULTS, SCHEMAS)
    kinds = {rule.kind for rule in rule_set.rules}
    assert kinds >= {"json_schema", "required", "pattern", "vocabulary", "timeliness", "link_check",
                     "review_state", "steward_assigned", "data_dictionary"}  # fmt: skip
    assert {s.plan for s in rule_set.standards} == {"2018-phase1-draft"}
    valid = {f"P{n}" for n in range(1, 13)}
    assert all(rule.principle in valid and rule.how_to_fix for rule in rule_set.rules)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda t: t.replace('kind = "data_dictionary"', 'kind = "magic"'),
            "kind: Unknown kind 'magic'",
        ),
        (
            lambda t: t.replace("weight = 1\n", ""),
            "rule 'keywords' (rule #3): weight: Missing data for required field.",
        ),
        (
            lambda t: t.replace('field = "keyword"', 'field = "colour"'),
            "rule 'keywords' (rule #3) parameters: field: Must be one of",
        ),
        (
            lambda t: t.replace("regex = '", "regex = '("),
            "rule 'contact-email' (rule #4) parameters: regex: Not a valid regular expression",
        ),
        (
            lambda t: t.replace('principle = "P7"', 'principle = "seven"'),
            "principle: Use a plan principle id such as 'P3'.",
        ),
        (lambda t: t + "\n[[rule\n", "not valid TOML"),
    ],
)
def test_invalid_rule_file_stops_start_up_naming_file_and_problem(
    tmp_path, app, edit, problem
) -> None:
    rules = _rules_dir(tmp_path)
    target = rules / "metadata.toml"
    target.write_text(edit(target.read_text()))
    with pytest.raises(StandardsError) as failure:
        _app_with(rules, app)
    message = str(failure.value)
    assert message.startswith(f"{target}: ")
    assert problem in message


def test_duplicate_rule_id_across_files_is_refused(tmp_path, app) -> None:
    rules = _rules_dir(tmp_path)
    text = (
        (rules / "timeliness.toml")
        .read_text()
        .replace('key = "timeliness"', 'key = "timeliness-2"')
    )
    (rules / "timeliness-2.toml").write_text(text)
    with pytest.raises(StandardsError, match="rule id 'up-to-date' is also used in"):
        _app_with(rules, app)


def test_manage_py_reports_a_bad_rule_file_in_one_line(tmp_path, app, monkeypatch) -> None:
    from click.testing import CliRunner

    import manage

    rules = _rules_dir(tmp_path)
    (rules / "governance.toml").write_text("[standard]\nkey = 'governance'\n")
    monkeypatch.setenv("CATALOG_STANDARDS_DIR", str(rules))
    monkeypatch.setenv("CATALOG_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("CATALOG_DATABASE_URL", app.config["DATABASE_URL"])
    result = CliRunner().invoke(manage.build_cli(), ["conformance", "snapshot"])
    assert result.exit_code == 1
    assert (
        f"Error: {rules / 'governance.toml'}: standard.title: Missing data for required field"
        in result.output
    )


def test_changing_a_rule_file_changes_results_after_evaluate(
    tmp_path, app, cdc_dataset, results
) -> None:
    dataset = cdc_dataset(GOOD_PUBLIC)  # CDC description: 539 characters
    assert results(dataset.id)["by_rule"]["description-quality"][0] == "pass"
    rules = _rules_dir(tmp_path)
    target = rules / "metadata.toml"
    target.write_text(target.read_text().replace("min_length = 50", "min_length = 1000"))
    strict = _app_with(rules, app)
    try:
        import manage

        result = strict.test_cli_runner().invoke(manage.build_cli(), ["conformance", "evaluate"])
        assert result.exit_code == 0, result.output
        assert "Evaluated 1 datasets against 17 rules" in result.output
        with strict.app_context():
            from catalog.services.conformance import dataset_conformance
            from catalog.standards import current_rule_set

            data = dataset_conformance(db.session, dataset.id, current_rule_set())
        by_rule = {item["rule"]: (item["status"], item["message"]) for item in data["results"]}
        assert by_rule["description-quality"] == (
            "fail",
            "Description is 539 characters long; at least 1000 expected.",
        )

    finally:
        strict.extensions["catalog_db"].dispose()
