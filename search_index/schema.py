"""The index schema, its version, and the value mappings shared by documents and queries.

Bump ``SCHEMA_VERSION`` whenever fields or analysis change: an index built with another version is
detected when opened and rebuilt from the database.
"""

from __future__ import annotations

from whoosh import analysis, fields
from whoosh.columns import VarBytesColumn

SCHEMA_VERSION = 3

# Facets in the order the API and the page show them: URL parameter -> index field.
FACETS = {
    "agency": "agency",
    "theme": "theme",
    "access_level": "access_level",
    "format": "format",
    "conformance": "conformance",
    "review_status": "review_status",
}
# Facets whose field holds several values per dataset (counted from postings, not a column).
MULTI_VALUED = ("theme", "format")
TEXT_FIELDS = ("title", "description", "keywords")
FIELD_BOOSTS = {"title": 4.0, "keywords": 2.0, "description": 1.0}
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


MULTI_SEPARATOR = "\x1f"


def _multi_valued() -> fields.KEYWORD:
    """Exact values (commas and spaces kept), several per document."""
    field = fields.KEYWORD(sortable=True)
    field.analyzer = analysis.RegexTokenizer(r"[^\x1f]+") | analysis.StripFilter()
    return field


def build_schema() -> fields.Schema:
    """Text fields are analysed without stemming (clean spelling suggestions, exact prefixes).

    Stored fields are only ``id`` and ``title`` (autocomplete); snippets are cut from the
    database text of the page being shown, so the index never returns more than it must.
    """
    text = analysis.StandardAnalyzer(minsize=1)
    facet = {"sortable": True}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=fields.TEXT(analyzer=text, stored=True, phrase=True),
        description=fields.TEXT(analyzer=text, phrase=True),
        keywords=fields.TEXT(analyzer=text, phrase=True),
        agency=fields.ID(**facet),
        access_level=fields.ID(**facet),
        conformance=fields.ID(**facet),
        review_status=fields.ID(**facet),
        status=fields.ID(**facet),
        # Several values per dataset, joined with MULTI_SEPARATOR in the document.
        theme=_multi_valued(),
        format=_multi_valued(),
        # Sort keys: columns only (not searchable).
        title_sort=fields.COLUMN(VarBytesColumn()),
        modified=fields.DATETIME(sortable=True),
        score=fields.NUMERIC(int, bits=32, sortable=True, signed=True),
    )
