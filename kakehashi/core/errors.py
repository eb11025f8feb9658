"""Domain errors (translated messages) and the error pages."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. ``str(error)`` is a message for the user, in their language."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class InvalidTransition(DomainError):
    def __init__(self, current: Any, new: Any) -> None:
        self.current, self.new = current, new
        super().__init__(
            _l(
                "This cannot change from “%(current)s” to “%(new)s”.",
                current=getattr(current, "label", current),
                new=getattr(new, "label", new),
            )
        )


CSRF_MESSAGE = _l("The form expired or was sent from elsewhere. Please reload the page and try again.")

TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("File too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to see this page."),
    404: _l("The page you asked for does not exist or is not available to you."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The upload is larger than the size limit."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("An unexpected error occurred. It has been logged and nothing you sent was half-saved."),
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code: int, detail: str | None = None) -> tuple[Any, int]:
    title, message = TITLES.get(code, TITLES[500]), detail or MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        return jsonify(error=str(title), message=str(message)), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    from kakehashi.extensions import db

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return render_error(400, str(CSRF_MESSAGE))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        code = error.code or 500
        if code < 400:  # routing redirects travel as exceptions too
            return error
        if code >= 500:
            db.session.rollback()
        detail = str(error.message) if code == 413 and hasattr(error, "message") else None
        return render_error(code, detail)

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def _server_error(error: Exception) -> Any:
        if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
            return _http(error)
        db.session.rollback()
        original = getattr(error, "original_exception", None) or error
        log.error("Unhandled error on %s %s", request.method, request.path, exc_info=original)
        return render_error(500)
