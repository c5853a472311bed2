"""CSV and XLSX listings: filters as in /api/v1/datasets, formula-safe cells, visibility."""

from __future__ import annotations

import csv
import io

import openpyxl

from tests.public.conftest import auth

DANGEROUS = {
    "title": '=HYPERLINK("http://evil.example/","click")',
    "description": "+cmd|' /C calc'!A0",
    "keyword": ["@SUM(1+1)", "-2+3", "\tindent", "safe"],
}


def read_csv(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_xlsx(response) -> tuple[list[str], list[dict], openpyxl.worksheet.worksheet.Worksheet]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook["Datasets"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]], sheet


def test_csv_escapes_formulas(client, make_dataset):
    make_dataset(**DANGEROUS)

    rows = read_csv(client.get("/datasets.csv"))

    assert len(rows) == 1
    assert rows[0]["title"] == "'" + DANGEROUS["title"]
    assert rows[0]["description"] == "'" + DANGEROUS["description"]
    # The joined keyword cell starts with "@", so it is escaped as a whole.
    assert rows[0]["keyword"].startswith("'@SUM(1+1); -2+3")


def test_xlsx_escapes_formulas_and_never_writes_formula_cells(client, make_dataset):
    make_dataset(**DANGEROUS)

    response = client.get("/datasets.xlsx")

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    _header, rows, sheet = read_xlsx(response)
    assert rows[0]["title"] == "'" + DANGEROUS["title"]
    assert rows[0]["description"] == "'" + DANGEROUS["description"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_listing_uses_the_api_filters(client, make_dataset):
    make_dataset(
        title="Hospital discharges",
        identifier="a",
        agency="DPH",
        description="Discharges reported to the department of health.",
    )
    make_dataset(
        title="Road closures",
        identifier="b",
        agency="DOT",
        keyword=["traffic"],
        description="Planned closures of state roads.",
    )
    make_dataset(
        title="Bridge inspections",
        identifier="c",
        agency="DOT",
        accessLevel="non-public",
        rights="Security-sensitive infrastructure details.",
        keyword=["bridges"],
        description="Inspection reports for state bridges.",
    )

    def titles(query: str) -> list[str]:
        return sorted(row["title"] for row in read_csv(client.get(f"/datasets.csv?{query}")))

    assert titles("") == ["Bridge inspections", "Hospital discharges", "Road closures"]
    assert titles("agency=dot") == ["Bridge inspections", "Road closures"]
    assert titles("agency=DOT&access_level=non-public") == ["Bridge inspections"]
    assert titles("q=TRAFFIC") == ["Road closures"]
    assert titles("q=hospital+discharges") == ["Hospital discharges"]
    assert titles("q=art") == []  # words, not substrings ("art" is not in "department")
    # What the search shows, the download has: no dataset holds both words, so both
    # searches relax to either word, in the same order.
    api = client.get("/api/v1/datasets?q=hospital+roads").json
    assert api["relaxed"] is True
    listed = [row["id"] for row in read_csv(client.get("/datasets.csv?q=hospital+roads"))]
    assert listed == [item["id"] for item in api["items"]] and len(listed) == 2
    _header, rows, _sheet = read_xlsx(client.get("/datasets.xlsx?agency=DOT"))
    assert sorted(row["title"] for row in rows) == ["Bridge inspections", "Road closures"]


def test_anonymous_exports_hide_internal_fields_and_non_public_access(client, mixed_catalog):
    rows = {row["identifier"]: row for row in read_csv(client.get("/datasets.csv"))}
    _header, xrows, _sheet = read_xlsx(client.get("/datasets.xlsx"))

    for listing in (rows, {row["identifier"]: row for row in xrows}):
        assert set(listing) == {"ct-dph-discharges", "ct-dph-births", "ct-dph-immunizations"}
        assert "steward_email" not in next(iter(listing.values()))
        assert "governance_notes" not in next(iter(listing.values()))
        assert "rows.csv" in listing["ct-dph-discharges"]["access_urls"]
        assert not listing["ct-dph-births"]["access_urls"]
        assert not listing["ct-dph-immunizations"]["access_urls"]
    text = client.get("/datasets.csv").get_data(as_text=True)
    for secret in ("sftp.dph.ct.gov", "files.dph.ct.gov", "Internal:", "pat.steward@ct.gov"):
        assert secret not in text


def test_stewards_see_governance_columns_for_their_own_agency(
    client, app, mixed_catalog, steward, make_user, make_dataset
):
    make_dataset(
        title="Road closures",
        identifier="dot-roads",
        agency="DOT",
        steward={"name": "Other", "email": "other.steward@ct.gov"},
    )
    login(client, steward.email)
    rows = {row["identifier"]: row for row in read_csv(client.get("/datasets.csv"))}

    assert rows["ct-dph-discharges"]["steward_email"] == "pat.steward@ct.gov"
    assert rows["ct-dph-births"]["governance_notes"] == "Internal: IRB contact is J. Doe."
    assert "sftp.dph.ct.gov" in rows["ct-dph-immunizations"]["access_urls"]
    assert rows["dot-roads"]["steward_email"] == ""  # not their agency


PASSWORD = "correct horse battery"


def login(client, email: str, password: str = PASSWORD) -> None:
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_export_command_writes_csv_and_xlsx(runner, mixed_catalog, tmp_path):
    from manage import build_cli

    csv_path, xlsx_path = tmp_path / "d.csv", tmp_path / "d.xlsx"
    result = runner.invoke(build_cli(), ["export", "csv", "--out", str(csv_path)])
    assert result.exit_code == 0, result.output
    assert "Wrote 3 datasets" in result.output
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "ct-dph-discharges" in text and "pat.steward@ct.gov" not in text

    result = runner.invoke(
        build_cli(), ["export", "xlsx", "--out", str(xlsx_path), "--access-level", "public"]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 1 datasets" in result.output
    sheet = openpyxl.load_workbook(xlsx_path)["Datasets"]
    assert sheet.max_row == 2


def test_anonymous_format_filter_ignores_non_public_distributions(client, mixed_catalog):
    titles = [row["title"] for row in read_csv(client.get("/datasets.csv?format=text/csv"))]
    assert titles == ["Hospital discharges by town"]


def test_api_token_is_not_needed(client, mixed_catalog, steward, token_for):
    # Exports are read by people in a browser; a bearer token does not change what is shown.
    rows = read_csv(client.get("/datasets.csv", headers=auth(token_for(steward))))
    assert "steward_email" not in rows[0]


def test_search_seam_keeps_the_order_of_the_ids_it_is_given(app, client, make_dataset):
    from catalog.db import db
    from catalog.exports.selection import datasets_by_ids
    from catalog.exports.tables import iter_csv

    ids = [make_dataset(identifier=f"s{i}", title=f"Title {i}").id for i in range(3)]
    wanted = [ids[2], "missing-id", ids[0]]
    with app.app_context():
        text = "".join(iter_csv(datasets_by_ids(db.session, wanted), None))
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [row["title"] for row in rows] == ["Title 2", "Title 0"]


def test_export_command_fails_with_a_reason(runner, tmp_path):
    from manage import build_cli

    result = runner.invoke(build_cli(), ["export", "pdf", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "pdf" in result.output
    result = runner.invoke(build_cli(), ["export", "csv"])
    assert result.exit_code != 0 and "--out" in result.output
