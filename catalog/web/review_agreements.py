"""Data-sharing agreements: the list, and recording, editing and renewing one. Datasets are
added by searching for them (the catalog's search), never by typing internal ids."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from catalog.db import db
from catalog.errors import InvalidInput, PermissionDenied
from catalog.models import Dataset
from catalog.permissions import can_edit_agency
from catalog.services import agreements as agreement_service
from catalog.services import reviews as review_service
from catalog.services.agencies import list_agencies
from catalog.services.review_config import get_clauses, get_timeline
from catalog.web.governance.common import find_datasets
from catalog.web.review_forms import AgreementForm, RenewForm, choices
from catalog.web.reviews import _attach, _split, _user, bp


@bp.get("/agreements")
@login_required
def agreements():
    today = review_service.clock()
    expiring = request.args.get("expiring") in ("1", "true")
    rows = agreement_service.list_agreements(db.session, expiring=expiring, today=today)
    user = _user()
    items = [
        agreement_service.present_agreement(a, internal=True, today=today)
        | {"may_edit": agreement_service.can_edit_agreement(user, a.parties)}
        for a in rows
    ]
    return render_template(
        "reviews/agreements.html",
        agreements=items,
        expiring=expiring,
        warning_days=get_timeline().agreement_expiry_warning_days,
    )


def _form(agreement=None) -> AgreementForm:
    agencies = list_agencies(db.session)
    if agreement is not None and request.method == "GET":
        form = AgreementForm(
            formdata=None,
            title=agreement.title,
            purpose=agreement.purpose,
            parties=[a.code for a in agreement.parties],
            datasets=[d.id for d in agreement.datasets],
            effective_on=agreement.effective_on,
            expires_on=agreement.expires_on,
            clauses=[code for code, present in (agreement.clauses or {}).items() if present],
            reviews=", ".join(str(r.id) for r in agreement.reviews),
            document_url=agreement.document_url,
            internal_notes=agreement.internal_notes,
        )
    else:
        form = AgreementForm()
    form.parties.choices = choices((a.code, f"{a.name} ({a.code})") for a in agencies)
    form.clauses.choices = choices((c.code, c.text) for c in get_clauses())
    # The datasets offered: those chosen so far, then what the search found.
    chosen = [d for d in form.datasets.data or [] if d]
    rows = list(db.session.scalars(select(Dataset).where(Dataset.id.in_(chosen)))) if chosen else []
    found = find_datasets(form.dataset_q.data or "", form.parties.data or [])
    offered = {d.id: d for d in [*rows, *found]}
    form.datasets.choices = choices(
        (d.id, f"{d.title} ({d.agency.code}, {d.identifier})") for d in offered.values()
    )
    return form


def _save(form: AgreementForm, agreement=None):
    try:
        review_ids = [int(x) for x in _split(form.reviews.data)]
    except ValueError:
        raise InvalidInput(
            {"reviews": ["Review numbers are whole numbers, e.g. 12, 15."]}
        ) from None
    values = {
        "title": form.title.data,
        "purpose": form.purpose.data,
        "party_codes": form.parties.data or [],
        "effective_on": form.effective_on.data,
        "expires_on": form.expires_on.data,
        "dataset_ids": [d for d in form.datasets.data or [] if d],
        "clauses": form.clauses.data or [],
        "review_ids": review_ids,
        "document_url": form.document_url.data,
        "internal_notes": form.internal_notes.data,
    }
    if agreement is None:
        return agreement_service.create_agreement(db.session, _user(), **values)
    return agreement_service.update_agreement(db.session, agreement.id, _user(), **values)


def _form_page(agreement=None):
    form = _form(agreement)
    problems: list[str] = []
    status = 200
    searching = request.form.get("action") == "find"
    if request.method == "POST" and searching:
        if not form.dataset_q.data:
            form.dataset_q.errors = ["Type words to search for."]
    elif form.validate_on_submit():
        try:
            saved = _save(form, agreement)
        except InvalidInput as exc:
            db.session.rollback()
            problems, status = _attach(form, exc.errors), 422
        else:
            db.session.commit()
            flash("Agreement saved.", "success")
            return redirect(url_for("reviews.agreements") + f"#agreement-{saved.id}")
    elif form.is_submitted():
        status = 422 if form.errors else 400
        problems = [f"{k}: {' '.join(v)}" for k, v in form.errors.items() if k != "csrf_token"]
    renew_form = RenewForm(formdata=None, prefix="renew") if agreement else None
    return render_template(
        "reviews/agreement_form.html", form=form, problems=problems, agreement=agreement,
        renew_form=renew_form, searched=searching,
    ), status  # fmt: skip


@bp.route("/agreements/new", methods=["GET", "POST"])
@login_required
def new_agreement():
    user = _user()
    agencies = list_agencies(db.session)
    if not user.is_cdo_or_admin and not any(can_edit_agency(user, a.id) for a in agencies):
        raise PermissionDenied("Only the CDO or a steward of a party records an agreement.")
    return _form_page()


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@login_required
def edit_agreement(agreement_id: int):
    agreement = agreement_service.get_agreement(db.session, agreement_id)
    if not agreement_service.can_edit_agreement(_user(), agreement.parties):
        raise PermissionDenied("Only the CDO or a steward of a party edits an agreement.")
    return _form_page(agreement)


@bp.post("/agreements/<int:agreement_id>/renew")
@login_required
def renew_agreement(agreement_id: int):
    form = RenewForm(prefix="renew")
    if not form.validate_on_submit():
        flash("Give the new expiry date as YYYY-MM-DD.", "error")
    else:
        try:
            agreement_service.renew_agreement(
                db.session, agreement_id, current_user._get_current_object(), form.expires_on.data
            )
        except InvalidInput as exc:
            db.session.rollback()
            flash(" ".join(str(m) for ms in exc.errors.values() for m in ms), "error")
        else:
            db.session.commit()
            flash("Agreement renewed.", "success")
            return redirect(url_for("reviews.agreements") + f"#agreement-{agreement_id}")
    return redirect(url_for("reviews.edit_agreement", agreement_id=agreement_id))
