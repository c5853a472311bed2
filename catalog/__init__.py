"""The catalog domain: models, schemas, services, web pages and the JSON API."""

from catalog.app import create_app

__all__ = ["create_app"]
