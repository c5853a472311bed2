"""CKAN actions about groups (the catalog's themes), resources, licenses and autocompletion,
answered the way CKAN 2.10 answers them so ``ckanapi`` (``dump groups``) and CKAN harvesters work.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from catalog.ckan.actions import _int, _truthy, not_found, validation_error
from catalog.ckan.packages import package_dict, package_name, slug
from catalog.models import STATUS_ACTIVE, Dataset

# Licenses CKAN sites commonly register, keyed by the URL the catalog stores as license_id.
LICENSES = {
    "https://creativecommons.org/publicdomain/zero/1.0/": ("cc-zero", "Creative Commons CCZero"),
    "https://creativecommons.org/licenses/by/4.0/": ("cc-by", "Creative Commons Attribution"),
    "https://creativecommons.org/licenses/by-sa/4.0/": (
        "cc-by-sa", "Creative Commons Attribution Share-Alike",
    ),
    "https://opendatacommons.org/licenses/pddl/": (
        "odc-pddl", "Open Data Commons Public Domain Dedication and License (PDDL)",
    ),
    "https://opendatacommons.org/licenses/by/": (
        "odc-by", "Open Data Commons Attribution License",
    ),
    "https://opendatacommons.org/licenses/odbl/": (
        "odc-odbl", "Open Data Commons Open Database License (ODbL)",
    ),
    "https://www.usa.gov/government-works": ("us-pd", "U.S. Government Work (public domain)"),
}  # fmt: skip
GROUP_SORTS = ("name", "title", "package_count")


def _themes(session: Session) -> dict[str, tuple[str, int]]:
    """Group name -> (title, number of active datasets with that theme)."""
    counts: Counter[str] = Counter()
    titles: dict[str, str] = {}
    rows = session.execute(
        select(Dataset.theme)
        .where(Dataset.status == STATUS_ACTIVE)
        .execution_options(yield_per=2000)
    )
    for (themes,) in rows:
        names = set()
        for theme in themes or []:
            name = slug(theme)
            titles.setdefault(name, theme)
            names.add(name)
        counts.update(names)
    return {name: (titles[name], counts[name]) for name in counts}


def group_dict(name: str, title: str, count: int | None) -> dict[str, Any]:
    group = {
        "id": name,
        "name": name,
        "title": title,
        "display_name": title,
        "description": "",
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": None,
        "num_followers": 0,
    }
    if count is not None:
        group["package_count"] = count
    return group


def group_list(session: Session, params: dict[str, Any]) -> list[Any]:
    """Group names (or dicts with ``all_fields``), sorted by ``sort`` (default ``title asc``)."""
    themes = _themes(session)
    wanted = params.get("groups")
    if isinstance(wanted, str):
        wanted = [w.strip() for w in wanted.split(",") if w.strip()]
    if isinstance(wanted, list):
        themes = {k: v for k, v in themes.items() if k in wanted}
    sort = str(params.get("sort") or "title asc").split()
    field = sort[0] if sort else "title"
    if field not in GROUP_SORTS:
        raise validation_error("sort", f"Cannot sort by {field!r}; use {', '.join(GROUP_SORTS)}.")
    descending = len(sort) > 1 and sort[1].lower() == "desc"
    position = {"name": lambda i: i[0], "title": lambda i: i[1][0].lower(),
                "package_count": lambda i: i[1][1]}[field]  # fmt: skip
    items = sorted(themes.items())  # ties stay in name order (sort is stable, reverse too)
    items.sort(key=position, reverse=descending)
    offset = _int(params, "offset", 0, 0, 10_000_000)
    limit = params.get("limit")
    items = (
        items[offset : offset + _int(params, "limit", 1000, 0, 1000)] if limit else items[offset:]
    )
    if not _truthy(params.get("all_fields")):
        return [name for name, _ in items]
    with_counts = params.get("include_dataset_count") in (None, "") or _truthy(
        params.get("include_dataset_count")
    )
    return [
        group_dict(name, title, count if with_counts else None) for name, (title, count) in items
    ]


def group_show(session: Session, params: dict[str, Any], site_url: str) -> dict[str, Any]:
    name = str(params.get("id") or "").strip()
    if not name:
        raise validation_error("id", "Missing value")
    themes = _themes(session)
    if name not in themes:
        raise not_found("Group")
    title, count = themes[name]
    group = group_dict(name, title, count)
    group.update(groups=[], tags=[], extras=[], users=[])
    if params.get("include_datasets") in (None, "") or _truthy(params.get("include_datasets")):
        query = (
            select(Dataset)
            .where(Dataset.status == STATUS_ACTIVE, Dataset.theme.is_not(None))
            .order_by(Dataset.updated_at.desc(), Dataset.id)
            .execution_options(yield_per=200)
        )
        packages = []
        for dataset in session.scalars(query):
            if any(slug(t) == name for t in dataset.theme or []):
                packages.append(package_dict(dataset, site_url))
                if len(packages) == 1000:  # CKAN caps group_show's packages as well
                    break
        group["packages"] = packages
    return group


def resource_show(session: Session, params: dict[str, Any], site_url: str) -> dict[str, Any]:
    """One resource by the id ``package_show`` gives it (``<dataset id>-<position>``)."""
    resource_id = str(params.get("id") or "").strip()
    if not resource_id:
        raise validation_error("id", "Missing value")
    match = re.fullmatch(r"([0-9a-f]{16})-(\d{1,4})", resource_id)
    dataset = session.get(Dataset, match.group(1)) if match else None
    if dataset is None or dataset.status != STATUS_ACTIVE:
        raise not_found("Resource")
    for resource in package_dict(dataset, site_url)["resources"]:
        if resource["id"] == resource_id:
            return resource
    raise not_found("Resource")


def license_list(session: Session, _params: dict[str, Any]) -> list[dict[str, Any]]:
    """The common open licenses and every other license a dataset names (id = its URL)."""
    in_use = set(
        session.scalars(
            select(Dataset.license)
            .where(Dataset.status == STATUS_ACTIVE, Dataset.license.is_not(None))
            .distinct()
        )
    )
    found = []
    for url in sorted(set(LICENSES) | in_use):
        short, title = LICENSES.get(url, (None, url))
        found.append(
            {
                "id": url,
                "title": title,
                "url": url,
                "status": "active",
                "maintainer": "",
                "family": "",
                "od_conformance": "approved" if short else "not reviewed",
                "osd_conformance": "not reviewed",
                "domain_content": False,
                "domain_data": bool(short),
                "domain_software": False,
                "is_generic": False,
                "legacy_id": short,
            }
        )
    return found


def package_autocomplete(session: Session, params: dict[str, Any]) -> list[dict[str, str]]:
    """Active datasets whose title or name starts with ``q`` (case ignored), as CKAN lists them."""
    q = str(params.get("q") or params.get("incomplete") or "").strip()
    limit = _int(params, "limit", 10, 1, 100)
    if not q:
        return []
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    words = escaped.replace("-", " ")
    query = (
        select(Dataset)
        .where(
            Dataset.status == STATUS_ACTIVE,
            or_(
                func.lower(Dataset.title).like(f"{escaped.lower()}%", escape="\\"),
                func.lower(Dataset.title).like(f"{words.lower()}%", escape="\\"),
            ),
        )
        .order_by(func.lower(Dataset.title), Dataset.id)
        .limit(limit)
    )
    results = []
    for dataset in session.scalars(query):
        name = package_name(dataset)
        if name.startswith(q.lower()):
            results.append(
                {
                    "name": name,
                    "title": dataset.title,
                    "match_field": "name",
                    "match_displayed": name,
                }
            )
        else:
            results.append(
                {
                    "name": name,
                    "title": dataset.title,
                    "match_field": "title",
                    "match_displayed": f"{dataset.title} ({name})",
                }
            )
    return results
