"""JSON errors for the API: ``{"errors": {field: [messages]}}`` with a fitting status."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from catalog.errors import ServiceError


def error_response(status: int, errors: dict[str, list]) -> tuple[Response, int]:
    return jsonify({"errors": errors}), status


def _is_api_request() -> bool:
    return request.path.startswith(("/api/v1", "/api/3"))


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        if _is_api_request():
            return error_response(exc.status, exc.errors)
        from flask import render_template

        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if _is_api_request():
            response, status = error_response(exc.code or 500, {"_request": [exc.description]})
            if exc.code == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="catalog"'
            return response, status
        from flask import render_template

        return render_template("error.html", status=exc.code, message=exc.description), exc.code
