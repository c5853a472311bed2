"""Flask-WTF forms: rendering and CSRF. Dataset fields are validated by the marshmallow schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo

from catalog.models import ACCESS_LEVELS
from catalog.schemas.dataset import CLASSIFICATIONS


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class InventoryUploadForm(FlaskForm):
    """A steward's inventory spreadsheet for one harvest source (checked again by the service)."""

    spreadsheet = FileField(
        "Inventory spreadsheet",
        description="CSV or XLSX with the columns of this source's mapping: the agency's "
        "inventory, or the annotated copy of a job with its rows fixed.",
        validators=[
            FileRequired("Choose a CSV or XLSX file."),
            FileAllowed(["csv", "xlsx"], "Upload a CSV or XLSX file."),
        ],
    )


class SourceForm(FlaskForm):
    """Add or edit a harvest source (the CDO and admins); the service validates again."""

    name = StringField(
        "Name", description="Lowercase letters, digits, '-', '_' or '.', e.g. dph-inventory."
    )
    kind = SelectField("Kind", choices=[], validate_choice=False)
    role = SelectField(
        "Role",
        choices=[],
        validate_choice=False,
        description="Inventory: what an agency holds. Portal: what is published. "
        "Reconciliation compares the two.",
    )
    url = StringField(
        "Address",
        description="Socrata or CKAN: the portal root (https://data.ct.gov). DCAT-US: the "
        "data.json address. Inventory: the CSV/XLSX address or path.",
    )
    agency = SelectField(
        "Default agency",
        choices=[],
        validate_choice=False,
        description="For records whose publisher matches no agency; stewards of this agency "
        "may run the source and upload its inventories.",
    )
    schedule = StringField(
        "Schedule",
        description="When to harvest: a cron expression in Hartford time (minute hour day "
        "month weekday, e.g. 0 3 * * * for 3 a.m. daily) or @hourly, @daily, @weekly. "
        "Empty: only when someone runs it.",
    )
    mapping = SelectField(
        "Column mapping",
        choices=[],
        validate_choice=False,
        description="Inventories only: a mapping from config/inventory_mappings/.",
    )
    paused = BooleanField("Paused (the schedule does not run it)")


class DatasetForm(FlaskForm):
    """A steward's register/edit form. Field names follow the model; see ``to_payload``."""

    agency = SelectField("Agency", choices=[])
    title = StringField("Title")
    description = TextAreaField("Description")
    keyword = StringField("Keywords", description="Separate keywords with commas.")
    theme = StringField("Themes", description="Separate themes with commas.")
    access_level = SelectField(
        "Access level", validate_choice=False, choices=[SelectChoice(v, v) for v in ACCESS_LEVELS]
    )
    rights = TextAreaField(
        "Rights", description="Required unless public: why it is not public and how to ask for it."
    )
    license = StringField("License URL")
    contact_name = StringField("Contact name")
    contact_email = EmailField("Contact email")
    landing_page = StringField("Landing page URL")
    modified = StringField("Last modified", description="ISO 8601 date, e.g. 2024-05-01.")
    accrual_periodicity = StringField(
        "Update frequency", description="ISO 8601 repeating duration, e.g. R/P1M, or irregular."
    )
    described_by = StringField("Data dictionary URL")
    steward_name = StringField("Steward name")
    steward_email = EmailField("Steward email")
    classification = SelectField(
        "Classification",
        validate_choice=False,
        choices=[SelectChoice("", "(not classified)")]
        + [SelectChoice(c, c) for c in CLASSIFICATIONS],
    )
    notes = TextAreaField("Internal notes", description="Seen only by stewards and the CDO.")

    # Schema error keys (DCAT names) -> form field names
    ERROR_FIELDS = {
        "keyword": "keyword", "theme": "theme", "accessLevel": "access_level",
        "contactPoint": "contact_name", "contactPoint.fn": "contact_name",
        "contactPoint.hasEmail": "contact_email", "landingPage": "landing_page",
        "accrualPeriodicity": "accrual_periodicity", "describedBy": "described_by",
        "steward.name": "steward_name", "steward.email": "steward_email",
    }  # fmt: skip

    def to_payload(self) -> dict[str, Any]:
        """The form's values as a DCAT-US payload for the dataset services.

        Absent values become "" (blank), which the schema reads as "no value". Browsers send a
        text area's line breaks as CRLF: they go back to LF, so saving an unchanged form changes
        nothing (and overrides nothing a source said).
        """
        for area in (self.description, self.rights, self.notes):
            if isinstance(area.data, str):
                area.data = area.data.replace("\r\n", "\n")
        return _blank_for_none(
            {
                "agency": self.agency.data,
                "title": self.title.data,
                "description": self.description.data,
                "keyword": _split(self.keyword.data),
                "theme": _split(self.theme.data),
                "accessLevel": self.access_level.data,
                "rights": self.rights.data,
                "license": self.license.data,
                "contactPoint": {"fn": self.contact_name.data, "hasEmail": self.contact_email.data},
                "landingPage": self.landing_page.data,
                "modified": self.modified.data,
                "accrualPeriodicity": self.accrual_periodicity.data,
                "describedBy": self.described_by.data,
                "steward": {"name": self.steward_name.data, "email": self.steward_email.data},
                "classification": self.classification.data,
                "notes": self.notes.data,
            }
        )

    def fill_from(self, dataset: Any) -> None:
        self.agency.data = dataset.agency.code
        for name in (
            "title", "description", "access_level", "rights", "license", "contact_name",
            "contact_email", "landing_page", "modified", "accrual_periodicity", "described_by",
            "steward_name", "steward_email", "governance_notes",
        ):  # fmt: skip
            field = "notes" if name == "governance_notes" else name
            getattr(self, field).data = getattr(dataset, name) or ""
        self.classification.data = dataset.classification or ""
        self.keyword.data = ", ".join(dataset.keyword or [])
        self.theme.data = ", ".join(dataset.theme or [])

    def attach_errors(self, errors: dict[str, list]) -> list[str]:
        """Put schema errors on their fields; return those that belong to no field."""
        unplaced = []
        for key, messages in errors.items():
            name = self.ERROR_FIELDS.get(key, key.split(".")[0])
            field = getattr(self, name, None) if name in self._fields else None
            if field is None:
                unplaced += [f"{key}: {message}" for message in messages]
            else:
                field.errors = list(field.errors) + [str(m) for m in messages]
        return unplaced


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _blank_for_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _blank_for_none(item) for key, item in value.items()}
    return "" if value is None else value


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class PasswordChangeForm(FlaskForm):
    """The signed-in user's own password (the policy is the service's: length and zxcvbn)."""

    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        description="At least 12 characters and hard to guess: a few uncommon words work well.",
        validators=[DataRequired()],
    )
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new_password", "Must match.")]
    )
