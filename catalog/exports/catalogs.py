"""The public inventory as whole catalog files, assembled from per-dataset fragments:

- ``/data.json``: DCAT-US 1.1 (validates against the official non-federal schema);
- ``/catalog/dcat-us-3.json``: DCAT-US 3.0 (validates against GSA's 3.0 definitions), with the
  data services the catalog keeps and the datasets they serve;
- ``/catalog.ttl`` and ``/catalog.jsonld``: W3C DCAT as RDF.

Every active dataset is listed, public or not, as Project Open Data asks of an inventory; entries
say what an anonymous visitor may see (``catalog.dcat.v11.public_v11``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from rdflib import Literal
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.dcat import rdf
from catalog.dcat.records import ExportContext, load_records
from catalog.dcat.v3 import catalog_header_v3, stub_v3
from catalog.dcat.v11 import catalog_header_v11
from catalog.exports import fragments
from catalog.models import (
    RESOURCE_SERVICE,
    STATUS_ACTIVE,
    Agency,
    Dataset,
    DcatResource,
    Distribution,
    dcat_resource_dataset,
)

SITE_TITLE = "Connecticut State Data Catalog"
DEFAULT_SITE_URL = "http://127.0.0.1:5000/"
# name -> (fragment format, media type, path under the site)
CATALOGS = {
    "data.json": ("v1.1", "application/json", "data.json"),
    "dcat-us-3": ("v3", "application/json", "catalog/dcat-us-3.json"),
    "ttl": ("ttl", "text/turtle", "catalog.ttl"),
    "jsonld": ("jsonld", "application/ld+json", "catalog.jsonld"),
}


def export_context(config: Any, base_url: str | None = None) -> ExportContext:
    """What the catalog files depend on besides the datasets: the site's address (``base_url``,
    else ``CATALOG_PUBLIC_URL``, else the development address) and the fallback contact."""
    base = base_url or config.get("PUBLIC_URL") or DEFAULT_SITE_URL
    return ExportContext(
        base_url=base.rstrip("/") + "/",
        contact_name=config["DCAT_CONTACT_NAME"],
        contact_email=config["DCAT_CONTACT_EMAIL"],
    )


def prepare_all(session: Session, ctx: ExportContext) -> int:
    """Rebuild the stale fragments of every catalog file (the caller commits)."""
    return sum(prepare(session, name, ctx) for name in CATALOGS)


def prepare(session: Session, name: str, ctx: ExportContext) -> int:
    """Rebuild the fragments a catalog needs (the caller commits); returns how many."""
    return fragments.refresh(session, CATALOGS[name][0], ctx)


def iter_catalog(session: Session, name: str, ctx: ExportContext) -> Iterator[str]:
    """The catalog as text chunks: a header, one chunk per dataset, the closing part. Call
    ``prepare`` (and commit) first."""
    fmt, _media_type, path = CATALOGS[name]
    catalog_url = ctx.base_url + path
    bodies = fragments.iter_bodies(session, fmt, ctx)
    if name == "data.json":
        yield from _json_catalog(catalog_header_v11(catalog_url), "dataset", bodies, "]}\n")
    elif name == "dcat-us-3":
        header = catalog_header_v3(catalog_url, ctx.base_url, SITE_TITLE)
        services = json.dumps(list(iter_services(session, ctx)), ensure_ascii=False)
        yield from _json_catalog(header, "dataset", bodies, f'],\n"service": {services}}}\n')
    elif name == "ttl":
        yield rdf.turtle_header()
        yield from _turtle_catalog(session, catalog_url, ctx)
        for body in bodies:
            yield "\n" + body + "\n"
    else:
        head = {"@context": rdf.JSONLD_CONTEXT}
        catalog_node = _jsonld_catalog(session, catalog_url, ctx)
        yield json.dumps(head)[:-1] + ', "@graph": [\n' + json.dumps(catalog_node)
        for body in bodies:
            if body:
                yield ",\n" + body
        yield "\n]}\n"


def _json_catalog(header: dict, key: str, bodies: Iterator[str], tail: str) -> Iterator[str]:
    text = json.dumps(header, ensure_ascii=False)
    yield text[:-1] + f', "{key}": ['
    first = True
    for body in bodies:
        yield ("\n" if first else ",\n") + body
        first = False
    yield "\n" + tail


def _turtle_catalog(session: Session, catalog_url: str, ctx: ExportContext) -> Iterator[str]:
    title = Literal(SITE_TITLE).n3()
    yield (
        f"<{catalog_url}> a dcat:Catalog ;\n    dct:title {title} ;\n"
        f"    foaf:homepage <{ctx.base_url}> ;\n"
        "    dct:conformsTo <https://www.w3.org/TR/vocab-dcat-3/>"
    )
    batch: list[str] = []
    for dataset_id in fragments.active_ids(session):
        batch.append(f"<{ctx.page_url(dataset_id)}>")
        if len(batch) == 1000:
            yield " ;\n    dcat:dataset " + ", ".join(batch)
            batch = []
    if batch:
        yield " ;\n    dcat:dataset " + ", ".join(batch)
    yield " .\n"
    services = rdf.new_graph()
    for doc in iter_services(session, ctx):
        rdf.add_service(services, catalog_url, doc)
    text = services.serialize(format="turtle")
    yield "\n".join(line for line in text.splitlines() if not line.startswith("@prefix")) + "\n"


def _jsonld_catalog(session: Session, catalog_url: str, ctx: ExportContext) -> dict[str, Any]:
    return {
        "@id": catalog_url,
        "@type": "dcat:Catalog",
        "dct:title": SITE_TITLE,
        "foaf:homepage": {"@id": ctx.base_url},
        "dcat:dataset": [{"@id": ctx.page_url(i)} for i in fragments.active_ids(session)],
        "dcat:service": [
            {
                "@id": doc.get("@id") or f"{catalog_url}#service-{index}",
                "@type": "dcat:DataService",
                "dct:title": doc["title"],
                "dcat:endpointURL": [{"@id": url} for url in doc.get("endpointURL", [])],
                "dcat:servesDataset": [{"@id": d["@id"]} for d in doc.get("servesDataset", [])],
            }
            for index, doc in enumerate(iter_services(session, ctx), start=1)
        ],
    }


def iter_services(session: Session, ctx: ExportContext) -> Iterator[dict[str, Any]]:
    """Kept DataServices as 3.0 documents, ``servesDataset`` naming the active datasets they
    serve (each with the properties 3.0 requires of a dataset)."""
    services = session.scalars(
        select(DcatResource)
        .where(DcatResource.kind == RESOURCE_SERVICE)
        .order_by(DcatResource.identifier)
    ).all()
    for service in services:
        ids = list(
            session.scalars(
                select(dcat_resource_dataset.c.dataset_id)
                .join(Dataset, Dataset.id == dcat_resource_dataset.c.dataset_id)
                .where(
                    dcat_resource_dataset.c.resource_id == service.id,
                    Dataset.status == STATUS_ACTIVE,
                )
                .order_by(Dataset.id)
            )
        )
        doc = dict(service.document)
        served = [stub_v3(record, ctx) for record in load_records(session, ids)]
        if served:
            doc["servesDataset"] = served
        else:
            doc.pop("servesDataset", None)
        yield doc


def inventory_fingerprint(session: Session) -> str:
    """Changes whenever an active dataset is added, changed or withdrawn, an agency changes, or
    the data services change.

    Changes made with Core statements that leave ``updated_at`` and ``version`` alone (derived
    columns such as ``conformance_score``) are not in the catalogs and need not change it.
    """
    count, latest, versions = session.execute(
        select(
            func.count(Dataset.id),
            func.max(Dataset.updated_at),
            func.sum(func.coalesce(Dataset.version, 0)),
        ).where(Dataset.status == STATUS_ACTIVE)
    ).one()
    # Replacing only a dataset's distributions may leave the dataset row (and version) as it was;
    # new distribution rows change these.
    dist_count, dist_max = session.execute(
        select(func.count(Distribution.id), func.max(Distribution.id))
    ).one()
    agencies = session.execute(
        select(
            Agency.code, Agency.name, Agency.data_officer_name, Agency.data_officer_email
        ).order_by(Agency.code)
    ).all()
    resources = session.execute(
        select(func.count(DcatResource.id), func.max(DcatResource.updated_at))
    ).one()
    links = session.scalar(select(func.count()).select_from(dcat_resource_dataset))
    extra = repr(([tuple(row) for row in agencies], tuple(resources), links))
    digest = hashlib.sha256(extra.encode()).hexdigest()[:16]
    stamp = latest.isoformat() if latest else "none"
    return f"v2-{count}-{stamp}-{versions or 0}-{dist_count}-{dist_max}-{digest}"
