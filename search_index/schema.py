"""The index schema, its version, and the value mappings shared by documents and queries.

Bump ``SCHEMA_VERSION`` whenever fields or analysis change: an index built with another version is
detected when opened and rebuilt from the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from whoosh import analysis, fields, formats

from search_index.analysis import whoosh_analyzer

SCHEMA_VERSION = 4

# Facets in the order the API and the page show them: URL parameter -> index field.
FACETS = {
    "agency": "agency",
    "theme": "theme",
    "access_level": "access_level",
    "format": "format",
    "conformance": "conformance",
    "review_status": "review_status",
}
# Every field a ``field:value`` query or a filter may name: public metadata only. (``format``
# is public only where the dataset's distributions are: see ``Visibility``.)
FILTER_FIELDS = (*FACETS.values(), "keyword", "license")
SINGLE_VALUED = ("agency", "access_level", "conformance", "review_status", "status", "license")
MULTI_VALUED = ("theme", "format", "keyword")
TEXT_FIELDS = ("title", "keywords", "description")  # scoring order: sums follow it
FIELD_BOOSTS = {"title": 4.0, "keywords": 2.0, "description": 1.0}
EXACT_FIELD = "words"  # every unstemmed word of the text fields: exact matches and prefixes
SORT_COLUMNS = ("modified", "updated", "created", "score")
CONFORMANCE_BANDS = ("high", "medium", "low", "unscored")
REVIEW_STATES = (
    "identified",
    "in_review",
    "resolved_agreement",
    "resolved_deidentification",
    "resolved_statute",
    "restricted",
    "none",
)
MULTI_SEPARATOR = "\x1f"
MISSING_TIME = -(2**63)  # sorts after every date when newest come first
EPOCH = datetime(1970, 1, 1)


def conformance_band(score: int | None) -> str:
    """``high`` >= 80, ``medium`` 50-79, ``low`` < 50, ``unscored`` when not evaluated."""
    if score is None:
        return "unscored"
    if score >= 80:
        return "high"
    if score >= 50:
        return "medium"
    return "low"


def review_state(status: str | None) -> str:
    return status or "none"


def time_key(value: datetime | None) -> int:
    """Microseconds since 1970 (naive UTC), or ``MISSING_TIME``."""
    if value is None:
        return MISSING_TIME
    return (value.replace(tzinfo=None) - EPOCH) // timedelta(microseconds=1)


def _multi_valued() -> fields.FieldType:
    """Exact values (commas and spaces kept), several per document."""
    tokenizer = analysis.RegexTokenizer(r"[^\x1f]+") | analysis.StripFilter()
    return fields.FieldType(formats.Existence(), tokenizer)


def build_schema() -> fields.Schema:
    """Text fields are stemmed (scored, with positions for phrases); ``words`` keeps every
    exact word once per document. Stored fields hold what the per-segment columns are read back
    from when Whoosh merges segments (``sidecar.from_segment``)."""
    stemmed = whoosh_analyzer(stemming=True)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=stemmed, stored=True, phrase=True),
        description=fields.TEXT(analyzer=stemmed, phrase=True),
        keywords=fields.TEXT(analyzer=stemmed, phrase=True),
        words=fields.FieldType(formats.Existence(), whoosh_analyzer(stemming=False)),
        agency=fields.ID(),
        access_level=fields.ID(),
        conformance=fields.ID(),
        review_status=fields.ID(),
        status=fields.ID(),
        license=fields.ID(),
        theme=_multi_valued(),
        format=_multi_valued(),
        keyword=_multi_valued(),
        modified=fields.STORED(),
        updated=fields.STORED(),
        created=fields.STORED(),
        score=fields.STORED(),
    )
