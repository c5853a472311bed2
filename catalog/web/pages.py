"""Public pages: the dataset list and a dataset's page."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from catalog.api.search_params import search_params
from catalog.db import db
from catalog.exports.views import dataset_rdf_response
from catalog.models import AuditEvent, User
from catalog.permissions import can_edit_agency, can_see_internal
from catalog.schemas.present import present_dataset
from catalog.services import datasets as dataset_service
from catalog.services import pending_changes
from catalog.services.agencies import list_agencies
from catalog.services.conformance import conformance_for
from catalog.services.dcat_resources import series_and_services
from catalog.services.harvest import dataset_provenance
from catalog.web.access import access_request
from search_index import SORTS, conformance_band, get_store, search_datasets

bp = Blueprint("pages", __name__)

PER_PAGE = 20


def viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page links to."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86_400)


@bp.get("/")
def index():
    """The search page: query, facet filters with counts, results with snippets, pagination."""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    params = search_params(page, PER_PAGE)
    result = search_datasets(get_store(current_app), db.session, params, viewer())
    agencies = {a.code: a.name for a in list_agencies(db.session)}
    return render_template(
        "index.html",
        result=result,
        params=params,
        pages=max((result.total + PER_PAGE - 1) // PER_PAGE, 1),
        agency_names=agencies,
        sorts=SORTS,
        facet_labels=FACET_LABELS,
        result_band=conformance_band,
        page_url=_page_url,
        download_url=_download_url,
    )


def _download_url(extension: str) -> str:
    """The same search as a file: every hit, in this order (``/datasets.csv|xlsx``)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    return url_for(f"exports.datasets_{extension}") + ("?" + urlencode(args) if args else "")


def _page_url(number: int) -> str:
    args = request.args.copy()
    args["page"] = str(number)
    return url_for("pages.index") + "?" + urlencode(list(args.items(multi=True)))


FACET_LABELS = {
    "agency": "Agency",
    "theme": "Theme",
    "access_level": "Access level",
    "format": "Format",
    "conformance": "Plan conformance",
    "review_status": "Sharing review",
}


# Content negotiation on a dataset's page: RDF clients get W3C DCAT instead of HTML.
RDF_BY_MEDIA_TYPE = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
}


@bp.get("/datasets/<dataset_id>")
def dataset(dataset_id: str):
    best = request.accept_mimetypes.best_match(["text/html", *RDF_BY_MEDIA_TYPE])
    if best in RDF_BY_MEDIA_TYPE:  # preferred over HTML (HTML wins ties, e.g. */*)
        return dataset_rdf_response(dataset_id, RDF_BY_MEDIA_TYPE[best])
    record = dataset_service.get_dataset(db.session, dataset_id)
    user = viewer()
    history, pending, overrides = [], [], []
    internal = can_see_internal(user, record)
    if internal:
        pending = pending_changes.pending_changes_of(db.session, record)
        overrides = pending_changes.overrides_of_dataset(db.session, record)
        history = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "dataset", AuditEvent.entity_id == record.id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(50)
        ).all()
    response = make_response(
        render_template(
            "dataset.html",
            dataset=record,
            doc=present_dataset(record, user),
            can_edit=can_edit_agency(user, record.agency_id),
            history=history,
            access_request=access_request(record),
            conformance=conformance_for(db.session, record, user),
            series=series_and_services(db.session, record.id),
            pending=pending,
            overrides=overrides,
            provenance=dataset_provenance(db.session, record.id),
            internal=internal,
        )
    )
    response.headers["Vary"] = "Accept"
    return response
