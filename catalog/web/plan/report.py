"""The plan progress report: a page, a PDF and a workbook, all from the same frozen figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, render_template, request
from markupsafe import Markup

from catalog.db import db
from catalog.errors import NotFound
from catalog.services import plan as plan_service
from catalog.services.plan_report import build_progress_report, report_xlsx
from catalog.web.charts import Series, bar_chart
from catalog.web.plan import bp
from catalog.web.plan.pages import pdf_available, render_pdf, viewer


def _report() -> tuple[Any, dict[str, Any]]:
    key = request.args.get("version") or None
    if key is None:
        current = plan_service.current_version(db.session)
        if current is None:
            raise NotFound("No version of the plan is published yet.")
        key = current.key
    version = plan_service.get_visible_version(db.session, key, viewer())
    return version, build_progress_report(db.session, version)


def _charts(report: dict[str, Any]) -> dict[str, Markup]:
    charts = {}
    conformance = report["conformance"]
    if conformance:
        rows = [r for r in conformance["agencies"] if r["end"]["datasets"]]
        charts["conformance"] = bar_chart(
            "Average conformance score by agency, start and end of the period",
            [f"{r['code']}" for r in rows],
            [
                Series(
                    f"Start ({conformance['start']['taken_on']})",
                    [r["start"]["score"] for r in rows],
                ),
                Series(
                    f"End ({conformance['end']['taken_on']})", [r["end"]["score"] for r in rows]
                ),
            ],
            maximum=100,
            chart_id="conformance-chart",
        )
    plan = report["plan"]
    if plan:
        rows = [r for r in plan["coverage"] if r["end"]["datasets"]]
        charts["coverage"] = bar_chart(
            "Datasets inventoried and published on a portal, by agency, at the end of the period",
            [r["code"] for r in rows],
            [
                Series("Inventoried", [r["end"]["inventoried"] for r in rows]),
                Series("Published", [r["end"]["published"] for r in rows]),
            ],
            chart_id="coverage-chart",
        )
    return charts


@bp.get("/reports/plan-progress")
def progress_report():
    version, report = _report()
    return render_template(
        "plan/progress_report.html",
        version=version,
        report=report,
        charts=_charts(report),
        versions=plan_service.visible_versions(db.session, viewer()),
        pdf_available=pdf_available(),
        printing=False,
    )


@bp.get("/reports/plan-progress.pdf")
def progress_report_pdf():
    if not pdf_available():
        abort(404, description="PDF export is not available here; print the page instead.")
    version, report = _report()
    html = render_template(
        "plan/progress_report.html", version=version, report=report, charts=_charts(report),
        versions=[], pdf_available=False, printing=True, pdf=True,
    )  # fmt: skip
    return Response(
        render_pdf(html, Path(current_app.static_folder) / "plan-print.css"),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="plan-progress-{version.key}.pdf"'},
    )


@bp.get("/reports/plan-progress.xlsx")
def progress_report_xlsx():
    version, report = _report()
    return Response(
        report_xlsx(report),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="plan-progress-{version.key}.xlsx"'},
    )
