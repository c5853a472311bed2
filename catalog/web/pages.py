"""Public pages: the dataset list and a dataset's page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from catalog.db import db
from catalog.models import AuditEvent, User
from catalog.permissions import can_edit_agency, can_see_internal
from catalog.schemas.present import present_dataset
from catalog.services import datasets as dataset_service
from catalog.services.agencies import list_agencies
from catalog.services.conformance import conformance_for
from catalog.web.access import access_request

bp = Blueprint("pages", __name__)

PER_PAGE = 20


def viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/")
def index():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    agency = request.args.get("agency") or None
    total, rows = dataset_service.list_datasets(
        db.session, agency_code=agency, page=page, per_page=PER_PAGE
    )
    return render_template(
        "index.html",
        datasets=rows,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        agencies=list_agencies(db.session),
        agency=agency,
    )


@bp.get("/datasets/<dataset_id>")
def dataset(dataset_id: str):
    record = dataset_service.get_dataset(db.session, dataset_id)
    user = viewer()
    history = []
    if can_see_internal(user, record):
        history = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "dataset", AuditEvent.entity_id == record.id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(50)
        ).all()
    return render_template(
        "dataset.html",
        dataset=record,
        doc=present_dataset(record, user),
        can_edit=can_edit_agency(user, record.agency_id),
        history=history,
        access_request=access_request(record),
        conformance=conformance_for(db.session, record, user),
    )
