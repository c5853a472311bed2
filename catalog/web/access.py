"""How a visitor asks for a dataset that is not public: whom to write to, with a ready mailto."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from catalog.models import Dataset


@dataclass(frozen=True)
class AccessRequest:
    name: str
    email: str | None
    mailto: str | None
    via: str  # "contact" (the dataset's contact point) or "agency" (the agency's data officer)


def access_request(dataset: Dataset) -> AccessRequest | None:
    """None for public datasets; otherwise the dataset contact, else the agency data officer."""
    if dataset.access_level == "public":
        return None
    agency = dataset.agency
    if dataset.contact_email:
        name, email, via = dataset.contact_name or agency.name, dataset.contact_email, "contact"
    else:
        name = agency.data_officer_name or f"{agency.name} data officer"
        email, via = agency.data_officer_email, "agency"
    mailto = None
    if email:
        subject = f"Access request: {dataset.title} ({dataset.identifier})"
        body = (
            f'Hello,\n\nI would like to request access to "{dataset.title}" '
            f"(identifier {dataset.identifier}), listed as {dataset.access_level} in the "
            "Connecticut State Data Catalog.\n\nWho I am and my organisation:\n"
            "What I need the data for:\nThe fields and period I need:\n\nThank you."
        )
        mailto = f"mailto:{quote(email, safe='@')}?subject={quote(subject)}&body={quote(body)}"
    return AccessRequest(name=name, email=email, mailto=mailto, via=via)
