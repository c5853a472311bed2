"""Forms for sharing reviews and agreements (rendering and CSRF; the services validate)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Optional

from catalog.models.review import OBSTACLE_KINDS
from catalog.schemas.dates import sane_date
from catalog.web.forms import choices


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:  # the service checks the values
        pass


class OpenReviewForm(FlaskForm):
    requesting_agency = SelectField("Requesting agency", choices=[])
    purpose = TextAreaField(
        "Purpose", description="Who asks for the data and what they want to do with it."
    )
    obstacle_kinds = CheckboxesField(
        "Obstacles", choices=choices((kind, kind) for kind in OBSTACLE_KINDS)
    )
    authorities = CheckboxesField("Legal authorities cited", choices=[])
    public_reason = TextAreaField(
        "Why it is not open (public)",
        description="Plain words shown on the dataset's public page. No internal details.",
    )
    internal_notes = TextAreaField(
        "Internal notes",
        description="Seen only by the agencies' stewards, the reviewer and the CDO.",
    )
    reviewer = StringField("Reviewer email", description="The CDO may assign a reviewer now.")


class CommentForm(FlaskForm):
    body = TextAreaField("Comment (internal)")


class TransitionForm(FlaskForm):
    to = SelectField("Move to", choices=[])
    reason = TextAreaField("Reason (required)")
    decision = TextAreaField(
        "Public decision",
        description="Shown publicly when the review closes; defaults to the reason.",
    )
    agreement_id = SelectField("Agreement that resolves it", choices=[], validators=[Optional()])


class AssignForm(FlaskForm):
    reviewer = StringField("Reviewer email", description="Leave empty to clear.")


class AgreementForm(FlaskForm):
    title = StringField("Title")
    purpose = TextAreaField("Permitted purposes")
    parties = CheckboxesField("Parties", choices=[])
    datasets = CheckboxesField("Datasets covered", choices=[])
    dataset_q = StringField(
        "Find datasets to add",
        description="Words from a title or description; only the parties' datasets are listed.",
    )
    effective_on = DateField("Effective on", validators=[Optional(), sane_date])
    expires_on = DateField("Expires on", validators=[Optional(), sane_date])
    clauses = CheckboxesField("CGS § 4-67aa provisions present", choices=[])
    reviews = StringField("Review ids it resolves", description="Separate ids with commas.")
    document_url = StringField("Link to the signed document")
    internal_notes = TextAreaField("Internal notes")


class RenewForm(FlaskForm):
    expires_on = DateField("Renewed until", validators=[Optional(), sane_date])
