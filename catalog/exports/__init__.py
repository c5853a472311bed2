"""Public exports of the inventory: DCAT-US ``data.json``, CSV and XLSX listings.

Services here take a session and a viewer and never read the request; the views in
``catalog.exports.views`` and the ``manage.py export`` command call them.
"""
