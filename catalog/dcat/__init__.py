"""The one mapping between the catalog's datasets and DCAT: DCAT-US 1.0 and 1.1 (``v11``), 3.0
(``v3``) and W3C DCAT as RDF (``rdf``), in and out (``incoming``), with value conversions
(``values``) and validation against the official schemas (``validation``). Harvests, exports,
the API's dataset JSON, CKAN packages and the standards all go through it.

Every mapping takes a *record* (``records``): a plain dict of the dataset's attribute names, built
from an ORM object or straight from rows.
"""
