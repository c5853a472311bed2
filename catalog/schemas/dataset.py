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
    post_load,
    validate,
    validates_schema,
)

from catalog.dcat import v11, values
from catalog.models import ACCESS_LEVELS
from catalog.schemas import dcat_patterns
from catalog.schemas.fields import Dcat3Values, DcatPattern, HttpUrl, Keywords, MailtoEmail, Text

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

    @post_load
    def _normalise_format(self, data: dict, **_kwargs: Any) -> dict:
        """One spelling per format (CSV, not csv), so facets and exports agree."""
        if "format" in data or data.get("media_type"):
            data["format"] = values.normalise_format(data.get("format"), data.get("media_type"))
        return data

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
    dcat3 = Dcat3Values(allow_none=True)
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
# Output: the dataset JSON is built by the DCAT mapping (``catalog.schemas.present``); this schema,
# generated from the mapping's key table, only documents it in the OpenAPI document.

OBJECT = {"type": "object"}
_KINDS = {
    "str": fields.String,
    "bool": fields.Boolean,
    "object": lambda: fields.Dict(metadata=OBJECT),
    "list": lambda: fields.List(fields.Raw()),
}


def _output_fields() -> dict[str, fields.Field]:
    declared: dict[str, fields.Field] = {
        "id": fields.String(),
        "@type": fields.String(),
    }
    for key, _attr, kind in v11.DATASET_KEYS:
        declared[key] = _KINDS[kind]()
    declared["distribution"] = fields.List(fields.Dict(metadata=OBJECT))
    declared.update(
        columns=fields.List(fields.Dict()),
        dcat3=fields.Dict(
            metadata={"description": "DCAT-US 3.0 values richer than the 1.1 fields, by 3.0 name"}
        ),
        agency=fields.String(),
        status=fields.String(),
        version=fields.Integer(),
        created=fields.String(metadata={"format": "date-time"}),
        updated=fields.String(metadata={"format": "date-time"}),
        withdrawn=fields.String(metadata={"format": "date-time"}),
        steward=fields.Dict(metadata=OBJECT),
        classification=fields.String(),
        notes=fields.String(),
    )
    return declared


DatasetOutputSchema = Schema.from_dict(_output_fields(), name="DatasetOutputSchema")
INTERNAL_FIELDS = ("steward", "classification", "notes")
NON_PUBLIC_HIDDEN_FIELDS = v11.NON_PUBLIC_HIDDEN_FIELDS


def drop_empty(data: dict) -> dict:
    """Remove None values and empty lists, as DCAT-US documents do."""
    return {key: value for key, value in data.items() if value is not None and value != []}
