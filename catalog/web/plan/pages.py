"""/plan and /plan/print: a plan version with its elements, progress and links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user

from catalog.db import db
from catalog.errors import NotFound
from catalog.models import PlanVersion, User
from catalog.services import plan as plan_service
from catalog.services.feedback import published_feedback, window_message
from catalog.services.plan_links import datasets_for, standards_by_principle
from catalog.services.progress import objective_progress
from catalog.web.plan import bp
from catalog.web.plan.forms import FeedbackForm, as_choices


def viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def selected_version() -> PlanVersion:
    """The version named by ``?version=KEY`` (drafts only for the CDO), else the plan in force."""
    key = request.args.get("version") or None
    if key is None:
        current = plan_service.current_version(db.session)
        if current is None:
            raise NotFound("No version of the plan is published yet.")
        key = current.key
    return plan_service.get_visible_version(db.session, key, viewer())


def target_choices(version: PlanVersion) -> list[tuple[str, str]]:
    choices = [("general", "The plan as a whole")]
    for principle in version.principles:
        if not principle.retired:
            choices.append(
                (
                    f"principle:{principle.key}",
                    f"Principle {principle.key}: {_short(principle.text)}",
                )
            )
    for goal in version.goals:
        if not goal.retired:
            choices.append((f"goal:{goal.key}", f"Goal {goal.key}: {_short(goal.title)}"))
    for focal in version.focal_points:
        if not focal.retired:
            choices.append(
                (f"focal_point:{focal.key}", f"Focal point {focal.key}: {_short(focal.title)}")
            )
    return choices


def _short(text: str, size: int = 70) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def plan_context(version: PlanVersion) -> dict[str, Any]:
    """Everything the plan page and its printable version show."""
    today = plan_service.plan_today()
    versions = plan_service.visible_versions(db.session, viewer())
    principles = [p for p in version.principles if not p.retired]
    groups = [
        (group, [p for p in principles if p.group_key == group["key"]]) for group in version.groups
    ]
    ungrouped = [p for p in principles if p.group_key not in {g["key"] for g in version.groups}]
    if ungrouped:
        groups.append(({"key": "", "title": "Other principles"}, ungrouped))
    goals = [g for g in version.goals if not g.retired]
    focal_points = [f for f in version.focal_points if not f.retired]
    standards_dir = Path(current_app.config["CONFIG_DIR"]) / "standards"
    elements = [*principles, *goals, *focal_points]
    current = plan_service.current_version(db.session)
    written = [v for v in versions if v.key != version.key and plan_service.has_content(v)]
    return {
        "version": version,
        "versions": versions,
        "in_force": current,
        "period": plan_service.version_period(version, versions),
        "written_elsewhere": written,
        "groups": groups,
        "goals_by_term": [
            ("two-year", "Two-year goals", [g for g in goals if g.term == "two-year"]),
            ("longer-term", "Longer-term goals", [g for g in goals if g.term == "longer-term"]),
        ],
        "focal_points": focal_points,
        "progress": objective_progress(db.session, version),
        "rules": standards_by_principle(standards_dir, version.key),
        "linked": {
            (type(e).__name__, e.key): datasets_for(db.session, e.datasets, e.themes)
            for e in elements
            if e.datasets
        },
        "window_open": plan_service.accepts_comments(version, today),
        "window_message": window_message(version, today),
        "can_manage": plan_service.can_manage_plan(viewer()),
        "published": published_feedback(db.session, version),
    }


@bp.get("/plan")
def plan_page():
    version = selected_version()
    context = plan_context(version)
    form = None
    if context["window_open"]:
        form = FeedbackForm(plan=version.key)
        form.target.choices = as_choices(target_choices(version))
    return render_template("plan/plan.html", form=form, printing=False, **context)


@bp.get("/plan/print")
def plan_print():
    version = selected_version()
    return render_template(
        "plan/print.html", printing=True, pdf_available=pdf_available(), **plan_context(version)
    )


@bp.get("/plan/print.pdf")
def plan_pdf():
    """The printable plan as a PDF (WeasyPrint, when installed with its system libraries)."""
    if not pdf_available():
        abort(404, description="PDF export is not available here; print the page instead.")
    version = selected_version()
    html = render_template("plan/print.html", printing=True, pdf=True, **plan_context(version))
    filename = f"ct-state-data-plan-{version.key}.pdf"
    return Response(
        render_pdf(html, Path(current_app.static_folder) / "plan-print.css"),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the Pango libraries are missing
        return False
    return True


def render_pdf(html: str, stylesheet: Path) -> bytes:
    """HTML to PDF with no network access: every resource fetch is refused."""
    import weasyprint

    def refuse(url: str, *args: Any, **kwargs: Any) -> dict:
        raise ValueError(f"not fetched: {url}")

    document = weasyprint.HTML(string=html, url_fetcher=refuse)
    return document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(stylesheet))])
