"""Errors raised by services; the web and API layers turn them into responses."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, errors: dict[str, list] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {"_schema": [message]}


class InvalidInput(ServiceError):
    """Field-level validation failures: ``errors`` maps each field to its messages."""

    status = 422

    def __init__(self, errors: dict[str, list]) -> None:
        super().__init__("The data is not valid.", errors)


class PermissionDenied(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class VersionConflict(ServiceError):
    """The record changed since the client read it."""

    status = 409

    def __init__(self, current_version: int, given_version: int) -> None:
        super().__init__(
            f"The dataset was changed by someone else (now version {current_version}, "
            f"you edited version {given_version}). Reload it and apply your change again.",
            {
                "version": [
                    f"Stale version {given_version}; the current version is {current_version}."
                ]
            },
        )
        self.current_version = current_version


class Conflict(ServiceError):
    status = 409
