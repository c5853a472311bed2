"""Records as W3C DCAT (version 3) in RDF, built with rdflib from the DCAT-US 3.0 form, so the
RDF says what ``/catalog/dcat-us-3.json`` says: Turtle, JSON-LD and RDF/XML.

Every node that is not a dataset's own value (distributions) gets an IRI under the dataset's
page address; contact points, periods and locations are blank nodes, written inline in Turtle,
so per-dataset Turtle fragments can be joined under one prefix header.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalog.dcat import values
from catalog.dcat.records import ExportContext
from catalog.dcat.v3 import to_v3

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
POD = Namespace("https://project-open-data.cio.gov/v1.1/schema#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
IANA = "https://www.iana.org/assignments/media-types/"
PREFIXES = {
    "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "locn": LOCN, "skos": SKOS,
    "xsd": XSD, "rdfs": RDFS, "pod": POD, "adms": ADMS,
}  # fmt: skip
FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
MEDIA_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml"}
JSONLD_CONTEXT = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
_IRI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]+$", re.IGNORECASE)


def new_graph() -> Graph:
    graph = Graph(store="SimpleMemory", bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def add_dataset(graph: Graph, record: dict[str, Any], ctx: ExportContext) -> URIRef:
    """Add one dataset's triples (what anyone may see) and return its IRI."""
    doc = to_v3(record, ctx)
    node = URIRef(doc["@id"])
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.title, Literal(doc["title"])))
    graph.add((node, DCTERMS.description, Literal(doc["description"])))
    graph.add((node, DCTERMS.identifier, Literal(record["identifier"])))
    for keyword in doc.get("keyword", []):
        graph.add((node, DCAT.keyword, Literal(keyword)))
    for key, predicate in (("modified", DCTERMS.modified), ("issued", DCTERMS.issued)):
        if key in doc:
            graph.add((node, predicate, _date(doc[key])))
    publisher = doc["publisher"]
    agent = BNode()
    graph.add((node, DCTERMS.publisher, agent))
    graph.add((agent, RDF.type, FOAF.Organization))
    graph.add((agent, FOAF.name, Literal(publisher["name"])))
    for contact in doc["contactPoint"]:
        kind = BNode()
        graph.add((node, DCAT.contactPoint, kind))
        graph.add((kind, RDF.type, VCARD.Kind))
        graph.add((kind, VCARD.fn, Literal(contact["fn"])))
        if contact.get("hasEmail"):
            graph.add((kind, VCARD.hasEmail, URIRef(contact["hasEmail"])))
    graph.add((node, POD.accessLevel, Literal(record["access_level"])))
    rights = BNode()
    graph.add((node, DCTERMS.accessRights, rights))
    graph.add((rights, RDF.type, DCTERMS.RightsStatement))
    graph.add((rights, RDFS.label, Literal(doc["accessRights"])))
    for text in doc.get("rights", []):
        statement = BNode()
        graph.add((node, DCTERMS.rights, statement))
        graph.add((statement, RDF.type, DCTERMS.RightsStatement))
        graph.add((statement, RDFS.label, Literal(text)))
    _iri(graph, node, DCTERMS.license, doc.get("license"))
    if "landingPage" in doc:
        _iri(graph, node, DCAT.landingPage, doc["landingPage"].get("accessURL"))
    if "describedBy" in doc:
        _iri(graph, node, POD.describedBy, doc["describedBy"].get("accessURL"))
    for standard in doc.get("conformsTo", []):
        _iri(graph, node, DCTERMS.conformsTo, values.identifier_text(standard.get("identifier")))
    if "accrualPeriodicity" in doc:
        graph.add((node, DCTERMS.accrualPeriodicity, Literal(doc["accrualPeriodicity"])))
    for period in doc.get("temporal", []):
        span = BNode()
        graph.add((node, DCTERMS.temporal, span))
        graph.add((span, RDF.type, DCTERMS.PeriodOfTime))
        for key, predicate in (("startDate", DCAT.startDate), ("endDate", DCAT.endDate)):
            if period.get(key):
                graph.add((span, predicate, _date(period[key])))
    for location in doc.get("spatial", []):
        _location(graph, node, location)
    for theme in doc.get("theme", []):
        label = values.concept_label(theme)
        if label:
            concept = BNode()
            graph.add((node, DCAT.theme, concept))
            graph.add((concept, RDF.type, SKOS.Concept))
            graph.add((concept, SKOS.prefLabel, Literal(label)))
    for language in doc.get("language", []):
        graph.add((node, DCTERMS.language, Literal(language)))
    for series in doc.get("inSeries", []):
        if _IRI.match(str(series.get("@id") or "")):
            graph.add((node, DCAT.inSeries, URIRef(series["@id"])))
            graph.add((URIRef(series["@id"]), RDF.type, DCAT.DatasetSeries))
            graph.add((URIRef(series["@id"]), DCTERMS.title, Literal(series.get("title", ""))))
    for index, dist in enumerate(doc.get("distribution", [])):
        _distribution(graph, node, URIRef(f"{doc['@id']}#distribution-{index + 1}"), dist)
    return node


def dataset_graph(record: dict[str, Any], ctx: ExportContext) -> Graph:
    graph = new_graph()
    add_dataset(graph, record, ctx)
    return graph


def serialize(graph: Graph, fmt: str) -> str:
    """``fmt`` is ``ttl``, ``jsonld`` or ``rdf``."""
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=JSONLD_CONTEXT, auto_compact=True)
    return graph.serialize(format=FORMATS[fmt])


def turtle_fragment(record: dict[str, Any], ctx: ExportContext) -> str:
    """One dataset's Turtle without its prefix lines (the catalog file declares them once)."""
    text = dataset_graph(record, ctx).serialize(format="turtle")
    return "\n".join(line for line in text.splitlines() if not line.startswith("@prefix")).strip()


def jsonld_fragment(record: dict[str, Any], ctx: ExportContext) -> str:
    """One dataset's JSON-LD nodes (a comma-separated run of objects for the catalog's graph)."""
    data = json.loads(serialize(dataset_graph(record, ctx), "jsonld"))
    nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
    for item in nodes:
        item.pop("@context", None)
    return ",\n".join(json.dumps(item, ensure_ascii=False) for item in nodes)


def turtle_header() -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n"


def catalog_triples(graph: Graph, catalog_iri: str, site_url: str, title: str) -> URIRef:
    node = URIRef(catalog_iri)
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, Literal(title)))
    graph.add((node, FOAF.homepage, URIRef(site_url)))
    graph.add((node, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/vocab-dcat-3/")))
    return node


def _date(value: str) -> Literal:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return Literal(value, datatype=XSD.date)
    if "T" in value:
        return Literal(value, datatype=XSD.dateTime)
    if re.fullmatch(r"\d{4}", value):
        return Literal(value, datatype=XSD.gYear)
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return Literal(value, datatype=XSD.gYearMonth)
    return Literal(value)


def _iri(graph: Graph, node: URIRef, predicate: URIRef, value: str | None) -> None:
    if value and _IRI.match(value):
        graph.add((node, predicate, URIRef(value)))


def _location(graph: Graph, node: URIRef, location: dict[str, Any]) -> None:
    place = BNode()
    graph.add((node, DCTERMS.spatial, place))
    graph.add((place, RDF.type, DCTERMS.Location))
    if location.get("prefLabel"):
        graph.add((place, SKOS.prefLabel, Literal(location["prefLabel"])))
    for key, predicate in (("bbox", DCAT.bbox), ("geometry", LOCN.geometry)):
        shape = location.get(key)
        if isinstance(shape, dict):
            shape = json.dumps(shape)
        if shape:
            graph.add((place, predicate, Literal(shape)))


def _distribution(graph: Graph, dataset: URIRef, node: URIRef, dist: dict[str, Any]) -> None:
    graph.add((dataset, DCAT.distribution, node))
    graph.add((node, RDF.type, DCAT.Distribution))
    for key, predicate in (("title", DCTERMS.title), ("description", DCTERMS.description)):
        if dist.get(key):
            graph.add((node, predicate, Literal(dist[key])))
    _iri(graph, node, DCAT.accessURL, dist.get("accessURL"))
    _iri(graph, node, DCAT.downloadURL, dist.get("downloadURL"))
    if dist.get("mediaType") and re.fullmatch(r"[\w.+-]+/[\w.+-]+", dist["mediaType"]):
        graph.add((node, DCAT.mediaType, URIRef(IANA + dist["mediaType"])))
    if dist.get("format"):
        graph.add((node, DCTERMS.format, Literal(dist["format"])))


def add_service(graph: Graph, catalog_iri: str, doc: dict[str, Any]) -> URIRef:
    """A kept DataService (3.0 document) as a dcat:DataService serving its datasets."""
    ident = str(doc.get("@id") or "")
    if not _IRI.match(ident):
        digest = hashlib.sha1(doc["title"].encode(), usedforsecurity=False).hexdigest()[:12]
        ident = f"{catalog_iri}#service-{digest}"
    node = URIRef(ident)
    graph.add((URIRef(catalog_iri), DCAT.service, node))
    graph.add((node, RDF.type, DCAT.DataService))
    graph.add((node, DCTERMS.title, Literal(doc["title"])))
    for url in doc.get("endpointURL", []):
        _iri(graph, node, DCAT.endpointURL, url)
    for dataset in doc.get("servesDataset", []):
        graph.add((node, DCAT.servesDataset, URIRef(dataset["@id"])))
    return node
