"""DCAT-US 1.1 input and output schemas for datasets and distributions.

Input schemas load DCAT-US JSON (camelCase keys) into model attribute names; output schemas dump a
model back to DCAT-US JSON. The same input schema validates API bodies, form posts and harvested
records (harvesters pass ``partial=`` for fields a source may lack; conformance then flags them).
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    validate,
    validates_schema,
)

from catalog.models import ACCESS_LEVELS
from catalog.schemas import dcat_patterns
from catalog.schemas.fields import DcatPattern, HttpUrl, Keywords, MailtoEmail, Text

CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
MEDIA_TYPE_MESSAGE = "Not a valid media type (for example text/csv)."


def _media_type(**kwargs: Any) -> Text:
    return Text(
        validate=validate.Regexp(dcat_patterns.MEDIA_TYPE, error=MEDIA_TYPE_MESSAGE), **kwargs
    )


class ContactPointSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    fn = Text(required=True, validate=validate.Length(max=255))
    hasEmail = MailtoEmail(validate=validate.Length(max=255))


class PublisherSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = Text(required=True, validate=validate.Length(max=255))


class StewardSchema(Schema):
    name = Text(validate=validate.Length(max=255))
    email = MailtoEmail(validate=validate.Length(max=255))


class ColumnSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = Text(required=True, validate=validate.Length(max=255))
    type = Text(validate=validate.Length(max=64))
    description = Text()


class DistributionInputSchema(Schema):
    class Meta:
        unknown = RAISE

    type_ = fields.String(data_key="@type", load_only=True)
    title = Text(validate=validate.Length(max=512))
    description = Text()
    access_url = HttpUrl(data_key="accessURL", validate=validate.Length(max=2048))
    download_url = HttpUrl(data_key="downloadURL", validate=validate.Length(max=2048))
    media_type = _media_type(data_key="mediaType")
    format = Text(validate=validate.Length(max=128))
    conforms_to = HttpUrl(data_key="conformsTo")
    described_by = HttpUrl(data_key="describedBy")
    described_by_type = _media_type(data_key="describedByType")

    @validates_schema
    def _download_needs_media_type(self, data: dict, **_kwargs: Any) -> None:
        if data.get("download_url") and not data.get("media_type"):
            raise ValidationError(
                "Required when downloadURL is given (DCAT-US 1.1).", field_name="mediaType"
            )

    @post_load
    def _drop_type(self, data: dict, **_kwargs: Any) -> dict:
        data.pop("type_", None)
        return data


class DatasetInputSchema(Schema):
    """What a steward, an API client or a harvester may set on a dataset."""

    class Meta:
        unknown = RAISE

    type_ = fields.String(data_key="@type", load_only=True)
    identifier = Text(validate=validate.Length(max=512))
    agency = Text(validate=validate.Length(max=32))
    title = Text(required=True, validate=validate.Length(max=500))
    description = Text(required=True)
    keyword = Keywords()
    modified = DcatPattern(
        "modified",
        "Not an ISO 8601 date, date-time or repeating duration (for example 2024-05-01 or R/P1W).",
        calendar=True,
    )
    publisher = fields.Nested(PublisherSchema)
    contactPoint = fields.Nested(ContactPointSchema, required=True)
    access_level = Text(
        data_key="accessLevel",
        required=True,
        validate=validate.OneOf(ACCESS_LEVELS, error="Must be one of: {choices}."),
    )
    rights = Text(validate=validate.Length(max=255))
    license = HttpUrl(validate=validate.Length(max=512))
    spatial = Text()
    temporal = DcatPattern(
        "temporal", "Not an ISO 8601 interval (for example 2010-01-01/2020-12-31).", calendar=True
    )
    accrual_periodicity = DcatPattern(
        "accrualPeriodicity",
        "Not an ISO 8601 repeating duration (for example R/P1M) or 'irregular'.",
        data_key="accrualPeriodicity",
    )
    theme = Keywords()
    landing_page = HttpUrl(data_key="landingPage")
    described_by = HttpUrl(data_key="describedBy")
    described_by_type = _media_type(data_key="describedByType")
    issued = DcatPattern("issued", "Not an ISO 8601 date (for example 2024-05-01).", calendar=True)
    data_quality = fields.Boolean(data_key="dataQuality", allow_none=True)
    system_of_records = Text(data_key="systemOfRecords", validate=validate.Length(max=1024))
    language = fields.List(
        DcatPattern("language", "Not an RFC 5646 language tag (for example en-US)."),
    )
    conforms_to = HttpUrl(data_key="conformsTo")
    references = fields.List(HttpUrl())
    is_part_of = Text(data_key="isPartOf", validate=validate.Length(max=512))
    bureau_code = fields.List(
        DcatPattern("bureauCode", "Not a bureau code (for example 015:11)."),
        data_key="bureauCode",
    )
    program_code = fields.List(
        DcatPattern("programCode", "Not a program code (for example 015:001)."),
        data_key="programCode",
    )
    primary_it_investment_uii = DcatPattern(
        "primaryITInvestmentUII",
        "Not an IT investment UII (for example 023-000000001).",
        data_key="primaryITInvestmentUII",
    )
    distribution = fields.List(fields.Nested(DistributionInputSchema))
    columns = fields.List(fields.Nested(ColumnSchema))
    # Governance fields
    steward = fields.Nested(StewardSchema)
    classification = Text(
        validate=validate.OneOf(CLASSIFICATIONS, error="Must be one of: {choices}.")
    )
    notes = Text()

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _rights_when_not_public(
        self, data: dict, original: Any, partial: Any = None, **_kwargs: Any
    ) -> None:
        level = data.get("access_level")
        given = isinstance(original, dict) and str(original.get("rights") or "").strip()
        if level and level != "public" and not data.get("rights") and not given:
            if partial is True or (partial and "rights" in partial):
                return
            raise ValidationError(
                "Required when accessLevel is not public: say why and how to request access.",
                field_name="rights",
            )

    @post_load
    def _to_model_fields(self, data: dict, **_kwargs: Any) -> dict:
        """Flatten nested DCAT objects into the model's attribute names."""
        data.pop("type_", None)
        if "contactPoint" in data:
            contact = data.pop("contactPoint") or {}
            data["contact_name"] = contact.get("fn")
            data["contact_email"] = contact.get("hasEmail")
        if "publisher" in data:
            data["publisher_name"] = (data.pop("publisher") or {}).get("name")
        if "steward" in data:
            steward = data.pop("steward") or {}
            data["steward_name"] = steward.get("name")
            data["steward_email"] = steward.get("email")
        if "notes" in data:
            data["governance_notes"] = data.pop("notes")
        return data


# ----------------------------------------------------------------------------------------------
# Output


OBJECT = {"type": "object"}


class UtcDateTime(fields.DateTime):
    """Stored times are naive UTC; they go out as RFC 3339 with a Z."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.replace(microsecond=0).isoformat() + "Z"


class DistributionOutputSchema(Schema):
    type_ = fields.Constant("dcat:Distribution", data_key="@type")
    title = fields.String()
    description = fields.String()
    accessURL = fields.String(attribute="access_url")
    downloadURL = fields.String(attribute="download_url")
    mediaType = fields.String(attribute="media_type")
    format = fields.String()
    conformsTo = fields.String(attribute="conforms_to")
    describedBy = fields.String(attribute="described_by")
    describedByType = fields.String(attribute="described_by_type")

    @post_dump
    def _drop_empty(self, data: dict, **_kwargs: Any) -> dict:
        return drop_empty(data)


class DatasetOutputSchema(Schema):
    """A dataset as DCAT-US 1.1 JSON plus the catalog's own fields."""

    id = fields.String()
    type_ = fields.Constant("dcat:Dataset", data_key="@type")
    identifier = fields.String()
    title = fields.String()
    description = fields.String()
    keyword = fields.List(fields.String())
    modified = fields.String()
    publisher = fields.Method("_publisher", metadata=OBJECT)
    contactPoint = fields.Method("_contact_point", metadata=OBJECT)
    accessLevel = fields.String(attribute="access_level")
    rights = fields.String()
    license = fields.String()
    spatial = fields.String()
    temporal = fields.String()
    accrualPeriodicity = fields.String(attribute="accrual_periodicity")
    theme = fields.List(fields.String())
    landingPage = fields.String(attribute="landing_page")
    describedBy = fields.String(attribute="described_by")
    describedByType = fields.String(attribute="described_by_type")
    issued = fields.String()
    dataQuality = fields.Boolean(attribute="data_quality")
    systemOfRecords = fields.String(attribute="system_of_records")
    language = fields.List(fields.String())
    conformsTo = fields.String(attribute="conforms_to")
    references = fields.List(fields.String())
    isPartOf = fields.String(attribute="is_part_of")
    bureauCode = fields.List(fields.String(), attribute="bureau_code")
    programCode = fields.List(fields.String(), attribute="program_code")
    primaryITInvestmentUII = fields.String(attribute="primary_it_investment_uii")
    distribution = fields.List(fields.Nested(DistributionOutputSchema), attribute="distributions")
    columns = fields.List(fields.Dict())
    agency = fields.Function(lambda d: d.agency.code, metadata={"type": "string"})
    status = fields.String()
    version = fields.Integer()
    created = UtcDateTime(attribute="created_at")
    updated = UtcDateTime(attribute="updated_at")
    withdrawn = UtcDateTime(attribute="withdrawn_at")
    # Governance: only for the dataset's stewards, the CDO and admins.
    steward = fields.Method("_steward", metadata=OBJECT)
    classification = fields.String()
    notes = fields.String(attribute="governance_notes")

    def _publisher(self, dataset: Any) -> dict:
        return {"@type": "org:Organization", "name": dataset.publisher_name or dataset.agency.name}

    def _contact_point(self, dataset: Any) -> dict | None:
        if not dataset.contact_name and not dataset.contact_email:
            return None
        contact = {"@type": "vcard:Contact", "fn": dataset.contact_name or dataset.agency.name}
        if dataset.contact_email:
            contact["hasEmail"] = f"mailto:{dataset.contact_email}"
        return contact

    def _steward(self, dataset: Any) -> dict | None:
        steward = {"name": dataset.steward_name, "email": dataset.steward_email}
        return drop_empty(steward) or None

    @post_dump
    def _drop_empty(self, data: dict, **_kwargs: Any) -> dict:
        return drop_empty(data)


INTERNAL_FIELDS = ("steward", "classification", "notes")
# Left out of what anonymous users see of a non-public dataset.
NON_PUBLIC_HIDDEN_FIELDS = ("distribution", "columns", "systemOfRecords", "describedBy")


def drop_empty(data: dict) -> dict:
    """Remove None values and empty lists, as DCAT-US documents do."""
    return {key: value for key, value in data.items() if value is not None and value != []}
