"""Every URL rule of the app, as anonymous, a steward of another agency, the owning steward and
the CDO: the status each gets, and no internal or non-public detail leaking to the first two.

A new route fails `test_every_route_is_classified` until it is added to ROUTES below.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from flask import url_for
from pypdf import PdfReader

from catalog.db import db
from catalog.models import HarvestJob, HarvestRecord, HarvestSource
from catalog.services.agreements import create_agreement
from catalog.services.reviews import open_review
from harvesters.inventory import write_annotated

SECRET = "7731"  # appears only in internal fields and non-public access paths
ROLES = ("anonymous", "other_steward", "owner", "cdo")

# Expected status per role for a policy.
POLICIES = {
    "public": (200, 200, 200, 200),
    "signed_in": (302, 200, 200, 200),
    "agency_steward": (302, 403, 200, 200),
    "cdo_only": (302, 403, 403, 200),
    # Stewards of another agency only (access requests for a non-public dataset).
    "other_agency_steward": (302, 200, 403, 403),
    # API reads that need an account (anonymous gets 401, not a redirect).
    "api_signed_in": (401, 200, 200, 200),
    # API writes with a bearer token (anonymous sends none).
    "api_write_agency": (401, 403, None, None),
    # API writes only the CDO (or a review's assigned reviewer) may make.
    "api_write_cdo": (401, 403, 403, None),
}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    policy: str
    body: dict | None = None
    params: tuple = ()  # (name, value) pairs for URL rule arguments, beyond world["params"]
    query: str = ""  # query string; "{dataset_id}" is replaced


ROUTES = [
    Route("pages.index", "GET", "public"),
    Route("pages.favicon", "GET", "public"),
    Route("pages.dataset", "GET", "public"),
    Route("auth.login", "GET", "public"),
    Route("account.page", "GET", "signed_in"),
    Route("steward.new_dataset", "GET", "signed_in"),
    Route("steward.edit_dataset", "GET", "agency_steward"),
    Route("api_v1.list_agencies_view", "GET", "public"),
    Route("api_v1.list_datasets", "GET", "public"),
    Route("api_v1.list_datasets", "GET", "public", query="q=protected"),
    Route("api_v1.list_datasets", "GET", "public", query="include_withdrawn=1&q=7731"),
    Route("api_v1.suggest_view", "GET", "public", query="q=prot"),
    Route("pages.index", "GET", "public", query="q=internal"),
    Route("api_v1.get_dataset", "GET", "public"),
    Route("api_v1.openapi_document", "GET", "public"),
    Route("api_v1.create_dataset", "POST", "api_write_agency", {"agency": "DPH"}),
    Route("api_v1.update_dataset", "PATCH", "api_write_agency", {"keyword": ["x"]}),
    Route(
        "api_v1.decide_pending_change",
        "POST",
        "api_write_agency",
        {"field": "accessLevel", "decision": "accept"},
    ),
    Route("api_v1.follow_source", "DELETE", "api_write_agency", params=(("field", "title"),)),
    Route("pending.queue", "GET", "signed_in"),
    # Standards and conformance
    Route("conformance.dashboard", "GET", "cdo_only"),
    Route("conformance.agency", "GET", "public"),
    Route("conformance.scorecard_export", "GET", "public", params=(("fmt", "csv"),)),
    Route("conformance.scorecard_export", "GET", "public", params=(("fmt", "xlsx"),)),
    Route("api_v1.list_standards", "GET", "public"),
    Route("api_v1.agency_conformance", "GET", "public"),
    # Harvests
    Route("harvest.sources", "GET", "signed_in"),
    Route("harvest.source", "GET", "signed_in"),
    Route("harvest.job", "GET", "signed_in"),
    Route("harvest.annotated_spreadsheet", "GET", "agency_steward"),
    Route("api_v1.list_harvest_sources", "GET", "public"),
    Route("api_v1.get_harvest_job", "GET", "public"),
    Route("api_v1.harvest_job_errors", "GET", "api_signed_in"),
    Route("harvest.new_source", "GET", "cdo_only"),
    Route("harvest.edit_source", "GET", "cdo_only"),
    Route("api_v1.queue_harvest_job", "POST", "api_write_agency"),
    Route("notices.index", "GET", "signed_in"),
    # Exports and the CKAN Action API
    Route("exports.data_json", "GET", "public"),
    Route("exports.dcat_us_3", "GET", "public"),
    Route("exports.catalog_turtle", "GET", "public"),
    Route("exports.catalog_jsonld", "GET", "public"),
    Route("exports.dataset_rdf", "GET", "public", params=(("fmt", "ttl"),)),
    Route("exports.dataset_rdf", "GET", "public", params=(("fmt", "jsonld"),)),
    Route("exports.dataset_rdf", "GET", "public", params=(("fmt", "rdf"),)),
    Route("api_docs.docs", "GET", "public"),
    Route("api_docs.asset", "GET", "public", params=(("name", "swagger-ui.css"),)),
    Route("exports.datasets_csv", "GET", "public"),
    Route("exports.datasets_xlsx", "GET", "public"),
    Route("ckan_api.call_action", "GET", "public", params=(("action", "package_search"),)),
    Route(
        "ckan_api.call_action",
        "GET",
        "public",
        params=(("action", "package_show"),),
        query="id={dataset_id}",
    ),
    Route("ckan_api.call_action", "GET", "public", params=(("action", "group_list"),)),
    # Sharing reviews and agreements
    Route("reviews.queue", "GET", "signed_in"),
    Route("reviews.new_review", "GET", "agency_steward", query="dataset={dataset_id}"),
    Route("reviews.review", "GET", "signed_in"),
    Route("reviews.timeline", "GET", "cdo_only"),
    Route("reviews.timeline_json", "GET", "cdo_only"),
    Route("reviews.matrix", "GET", "signed_in"),
    Route("reviews.authorities", "GET", "public"),
    Route("reviews.agreements", "GET", "signed_in"),
    Route("reviews.new_agreement", "GET", "signed_in"),  # any steward (of a party) or the CDO
    Route("reviews.edit_agreement", "GET", "agency_steward"),  # a party's stewards, the CDO
    Route("reviews.report", "GET", "public"),
    Route("reviews.report_csv", "GET", "public"),
    Route("reviews.report_xlsx", "GET", "public"),
    Route("api_v1.list_reviews", "GET", "public"),
    Route("api_v1.get_review", "GET", "public"),
    Route("api_v1.list_agreements", "GET", "public"),
    Route(
        "api_v1.transition_review",
        "POST",
        "api_write_cdo",
        {"to": "in_review", "reason": "Counsel has the file."},
    ),
    # The plan, progress reports and feedback
    Route("plan.plan_page", "GET", "public"),
    Route("plan.plan_print", "GET", "public"),
    Route("plan.plan_pdf", "GET", "public"),
    Route("plan.feedback", "GET", "public"),
    Route("plan.admin", "GET", "cdo_only"),
    Route("plan.admin_version", "GET", "cdo_only"),
    Route("plan.admin_export", "GET", "cdo_only"),
    Route(
        "plan.admin_element",
        "GET",
        "cdo_only",
        params=(("version_key", "2018-phase1-draft"), ("kind", "principle"), ("element_key", "P1")),
    ),
    Route("plan.timeline", "GET", "public"),
    Route("plan.progress_report", "GET", "public"),
    Route("plan.progress_report_pdf", "GET", "public"),
    Route("plan.progress_report_xlsx", "GET", "public"),
    Route("plan.triage", "GET", "cdo_only"),
    Route("plan.triage_csv", "GET", "cdo_only"),
    Route("plan.report_progress", "GET", "signed_in"),
    Route("plan.progress_overview", "GET", "signed_in"),
    Route("api_v1.list_progress_reports", "GET", "api_signed_in"),
    # Reconciliation, the yearly cycle, access plans, history, access requests
    Route("governance.reconciliation", "GET", "signed_in"),
    Route("governance.inventory", "GET", "signed_in"),
    Route("governance.agency_inventory", "GET", "agency_steward"),
    Route("governance.access_plan", "GET", "public"),
    Route("governance.dataset_history", "GET", "agency_steward"),
    Route("governance.audit_log", "GET", "cdo_only"),
    Route("governance.audit_csv", "GET", "cdo_only"),
    Route("governance.changes_feed", "GET", "public"),
    Route("governance.request_access", "GET", "other_agency_steward"),
    Route("api_v1.reconciliation_view", "GET", "api_signed_in"),
    Route("api_v1.access_plan_view", "GET", "public"),
    Route(
        "api_v1.add_access_plan_entry",
        "POST",
        "api_write_agency",
        {"identifier": "{identifier}", "target_date": "2027-06-30"},
    ),
    Route(
        "api_v1.create_progress_report",
        "POST",
        "api_write_agency",
        {
            "plan": "2025-2026",
            "objective": "G1.1",
            "agency": "DPH",
            "period": "2026-H2",
            "status": "on-track",
        },
    ),
]
AUTHORING = "POST form (CSRF); CDO only, tested in tests/plan/test_authoring.py"
# Rules not checked here, with the reason.
EXEMPT = {
    "static": "files shipped with the app",
    "auth.logout": "POST only; needs a session and a CSRF token (tested in tests/web)",
    "account.password": "POST form (CSRF); one's own password, tested in "
    "tests/security/test_sessions_and_tokens.py",
    "account.revoke": "POST form (CSRF); the token's owner only, tested in "
    "tests/security/test_sessions_and_tokens.py",
    "plan.admin_window": "POST form (CSRF); CDO only, tested in tests/plan",
    "reviews.add_comment": "POST form (CSRF); tested in tests/reviews",
    "reviews.move": "POST form (CSRF); reviewer or CDO only, tested in tests/reviews",
    "reviews.assign": "POST form (CSRF); CDO only, tested in tests/reviews",
    "plan.triage_status": "POST form (CSRF); CDO only, tested in tests/plan",
    "plan.triage_reply": "POST form (CSRF); CDO only, tested in tests/plan/test_replies.py",
    "plan.admin_create_version": AUTHORING,
    "plan.admin_import": "POST file (CSRF); CDO only, tested in tests/plan/test_authoring.py",
    "plan.admin_status": AUTHORING,
    "plan.admin_groups": AUTHORING,
    "plan.admin_element_action": AUTHORING,
    "governance.open_cycle": "POST form (CSRF); CDO only, tested in tests/governance/test_cycle.py",
    "governance.submit_inventory": "POST form (CSRF); the agency's stewards and the CDO, "
    "tested in tests/governance/test_cycle.py",
    "governance.mark_high_value": "POST form (CSRF); the agency's stewards and the CDO, "
    "tested in tests/governance/test_cycle.py",
    "governance.remove_access_plan_entry": "POST form (CSRF); the agency's stewards and the "
    "CDO, tested in tests/governance/test_access_plans.py",
    "reviews.renew_agreement": "POST form (CSRF); a party's stewards and the CDO, tested in "
    "tests/governance/test_agreements.py",
    "harvest.upload_inventory": "POST file upload (CSRF); the source's stewards and the CDO, "
    "tested per role in tests/web/test_inventory_upload.py",
    "harvest.run_source": "POST form (CSRF); the source's stewards and the CDO, tested per role "
    "in tests/web/test_harvest_sources.py",
    "notices.mark_read": "POST form (CSRF); only the signed-in person's own notices, tested in "
    "tests/web/test_notices.py",
    "harvest.pause_source": "POST form (CSRF); CDO and admins, tested in "
    "tests/web/test_harvest_sources.py",
    "harvest.remove_source": "POST form (CSRF); CDO and admins, tested in "
    "tests/web/test_harvest_sources.py",
    "pending.decide": "POST form (CSRF); the dataset's stewards and the CDO, tested per role in "
    "tests/web/test_pending_changes.py",
    "pending.follow": "POST form (CSRF); the dataset's stewards and the CDO, tested per role in "
    "tests/web/test_pending_changes.py",
}


@pytest.fixture
def world(app_ctx, make_user, make_dataset, token_for, plan_objectives):
    owner = make_user("steward", agencies=("DPH",), email="owner@dph.ct.gov")
    other = make_user("steward", agencies=("DOT",), email="other@dot.ct.gov")
    cdo = make_user("cdo", email="cdo@opm.ct.gov")
    dataset = make_dataset(
        agency="DPH",
        accessLevel="non-public",
        rights="Protected health information (HIPAA).",
        notes=f"Internal note {SECRET}",
        steward={"name": f"Steward {SECRET}", "email": f"s{SECRET}@dph.ct.gov"},
        distribution=[
            {"downloadURL": f"https://internal.ct.gov/{SECRET}.csv", "mediaType": "text/csv"}
        ],
    )
    review = open_review(
        db.session,
        dataset.id,
        db.session.merge(owner),
        purpose="Eligibility checks for DSS",
        public_reason="Protected health information.",
        obstacle_kinds=["legal", "privacy"],
        authority_codes=["HIPAA"],
        requesting_agency_code="DSS",
        internal_notes=f"Counsel memo {SECRET}",
    )
    # An inventory of the owner's agency whose job left an annotated spreadsheet.
    source = HarvestSource(
        name="dph-inventory",
        kind="inventory",
        url="inventories/dph.xlsx",
        agency_code="DPH",
        mapping={"columns": {"title": "name"}},
    )
    job = HarvestJob(source=source, status="succeeded", added=1)
    db.session.add(job)
    db.session.flush()
    annotated = Path(app_ctx.config["INSTANCE_DIR"]) / "harvest" / f"dph-job{job.id}-annotated.xlsx"
    annotated.parent.mkdir(parents=True, exist_ok=True)
    write_annotated(pd.DataFrame({"name": ["Births by town"]}), {}, annotated)
    job.annotated_path = str(annotated)
    db.session.add(
        HarvestRecord(
            job_id=job.id, identifier=dataset.identifier, dataset_id=dataset.id, outcome="added",
            raw={"identifier": dataset.identifier, "notes": f"raw {SECRET}"}, errors=[],
        )
    )  # fmt: skip
    # A failed row of the owner's inventory: raw rows of failures are the source agency's only.
    db.session.add(
        HarvestRecord(
            job_id=job.id, identifier="row-9", outcome="failed", raw={"name": f"row {SECRET}"},
            errors=[{"severity": "error", "type": "schema", "message": "title: required"}],
        )
    )  # fmt: skip
    agreement = create_agreement(
        db.session, db.session.merge(owner), title="DPH and DSS eligibility",
        purpose="Eligibility checks", party_codes=["DPH", "DSS"], effective_on=date(2026, 1, 1),
        dataset_ids=[dataset.id], internal_notes=f"Counsel memo {SECRET}",
    )  # fmt: skip
    db.session.commit()
    return {
        "users": {"other_steward": other, "owner": owner, "cdo": cdo},
        "tokens": {
            "other_steward": token_for(other),
            "owner": token_for(owner),
            "cdo": token_for(cdo),
        },
        "params": {
            "dataset_id": dataset.id,
            "code": "DPH",
            "version_key": "2025-2026",
            "feedback_id": 1,
            "review_id": review.id,
            "name": source.name,
            "job_id": job.id,
            "agreement_id": agreement.id,
            "identifier": dataset.identifier,
        },
    }


def _url(app, route: Route, params: dict) -> str:
    params = {**params, **dict(route.params)}
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == route.endpoint)
    missing = [arg for arg in rule.arguments if arg not in params]
    assert not missing, f"add sample values for {missing} to world['params']"
    with app.test_request_context():
        url = url_for(route.endpoint, **{arg: params[arg] for arg in rule.arguments})
    return f"{url}?{route.query.format(**params)}" if route.query else url


def _sign_in(client, email: str) -> None:
    from tests.web.test_steward_forms import sign_in

    assert sign_in(client, email).status_code == 302


def test_every_route_is_classified(app):
    classified = {route.endpoint for route in ROUTES} | set(EXEMPT)
    unclassified = sorted(
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint not in classified
    )
    assert unclassified == [], "classify these routes in ROUTES or EXEMPT"


@pytest.mark.parametrize(
    "route", ROUTES, ids=lambda r: f"{r.method} {r.endpoint} {dict(r.params)} {r.query}".strip()
)
@pytest.mark.parametrize("role", ROLES)
def test_route_status_and_no_leaks(app, world, route, role):
    expected = POLICIES[route.policy][ROLES.index(role)]
    url = _url(app, route, world["params"])
    client = app.test_client()
    headers = {}
    if route.method == "GET":
        if role != "anonymous":
            _sign_in(client, world["users"][role].email)
        response = client.get(url)
    else:
        if role != "anonymous":
            headers["Authorization"] = f"Bearer {world['tokens'][role]}"
        body = {
            key: value.format(**world["params"]) if isinstance(value, str) else value
            for key, value in (route.body or {}).items()
        }
        response = client.open(url, method=route.method, json=body, headers=headers)
    if expected is None:  # allowed: anything but an authorisation refusal or a server error
        assert response.status_code not in (401, 403) and response.status_code < 500
    else:
        assert response.status_code == expected, response.get_data()[:300]
    if role in ("anonymous", "other_steward"):
        assert SECRET not in readable_text(response)
    response.close()  # a file sent with send_file stays open until then


def readable_text(response) -> str:
    """What a person opening the response would read: XLSX and PDF are compressed, so their raw
    bytes would never show a planted secret; their cells and text are read instead."""
    data = response.get_data()
    kind = response.mimetype or ""
    if kind.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = (c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                 for c in row if c is not None)  # fmt: skip
        return "\n".join(map(str, cells))
    if kind == "application/pdf":
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8", errors="replace")


def test_the_leak_check_reads_inside_xlsx_and_pdf(app) -> None:
    """The check above must be able to fail on a spreadsheet or a PDF holding the secret."""
    book = openpyxl.Workbook()
    book.active.append(["title", f"Steward {SECRET}"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = app.response_class(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert SECRET.encode() not in xlsx.get_data()  # compressed: invisible to a byte search
    assert SECRET in readable_text(xlsx)
    pdf_bytes = _pdf_with_text(f"Counsel memo {SECRET}")
    pdf = app.response_class(pdf_bytes, mimetype="application/pdf")
    assert SECRET in readable_text(pdf)


def _pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose content stream is compressed, as real PDFs are."""
    import zlib

    stream = zlib.compress(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))  # fmt: skip
    return out.getvalue()
