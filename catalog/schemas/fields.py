"""Field types shared by the schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from catalog.guards.text import LONE_SURROGATE_MESSAGE, has_lone_surrogate
from catalog.schemas import dcat_patterns
from catalog.schemas.dates import calendar_problem


class Text(fields.String):
    """A string with surrounding whitespace removed; blank input counts as absent (None).
    Text that is not valid Unicode (a lone UTF-16 surrogate) is refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_lone_surrogate(text):
            raise ValidationError(LONE_SURROGATE_MESSAGE)
        text = text.strip()
        if not text:
            if self.required:
                raise ValidationError("Must not be blank.")
            return None
        return text

    def _validate(self, value: Any) -> None:
        if value is not None:  # blank input became None: nothing to validate
            super()._validate(value)


class HttpUrl(Text):
    """An absolute http(s) or ftp URL (hosts without a top-level domain allowed)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(
            0,
            validate.URL(
                relative=False,
                require_tld=False,
                schemes={"http", "https", "ftp"},
                error="Not a valid URL (absolute http, https or ftp address expected).",
            ),
        )


class DcatPattern(Text):
    """A string that must match what the official DCAT-US schema allows for ``prop``; with
    ``calendar``, each date in it must also be a real one within the accepted years."""

    def __init__(self, prop: str, message: str, calendar: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prop = prop
        self.message = message
        self.calendar = calendar

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is not None and not dcat_patterns.matches(self.prop, text):
            raise ValidationError(self.message)
        if text is not None and self.calendar and (problem := calendar_problem(text)):
            raise ValidationError(problem)
        return text


class Keywords(fields.List):
    """A list of non-blank strings, trimmed, duplicates removed (order kept)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Text(validate=validate.Length(max=255)), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            raise ValidationError("Must be a list of strings.")
        items = super()._deserialize(value, attr, data, **kwargs)
        seen: dict[str, None] = {}
        for item in items:
            if item is not None:
                seen.setdefault(item, None)
        return list(seen)


class MailtoEmail(Text):
    """An email address, given bare or as ``mailto:``; stored bare."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        if text.lower().startswith("mailto:"):
            text = text[len("mailto:") :]
        validate.Email(error="Not a valid email address.")(text)
        return text


class Dcat3Values(fields.Dict):
    """DCAT-US 3.0 values keyed by 3.0 dataset property; each must validate against that
    property in the official schema (``catalog.dcat.validation``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        found = super()._deserialize(value, attr, data, **kwargs)
        if not found:
            return None
        from catalog.dcat.validation import v3_property_errors

        errors = v3_property_errors(found)
        if errors:
            raise ValidationError(errors)
        return found
