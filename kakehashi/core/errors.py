"""Domain errors (translated messages) and the error pages."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
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


NUL_MESSAGE = _l(
    "The request contained a NUL character (U+0000), which cannot be saved. Please remove it and try again."
)

CONFLICT_TITLE = _l("Changed at the same moment")
CONFLICT_MESSAGE = _l(
    "Someone else changed this at the same moment, so nothing you sent was saved. "
    "Please reload the page, check it and try again."
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


def render_error(code: int, detail: str | None = None, title: Any = None) -> tuple[Any, int]:
    title, message = title or TITLES.get(code, TITLES[500]), detail or MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        return jsonify(error=str(title), message=str(message)), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    from kakehashi.extensions import db

    @app.before_request
    def _refuse_nul_characters() -> Any:
        # PostgreSQL cannot store or even compare U+0000 in text: refuse it in the path (a feed token)
        # and in any query or form value or name, for every route at once, before a view sees it.
        # Uploaded files' bytes are not form values; their names are cleaned by the storage.
        if "\x00" in request.path:
            return render_error(400, str(NUL_MESSAGE))
        for values in (request.args, request.form):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    return render_error(400, str(NUL_MESSAGE))
        return None

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return render_error(400, str(CSRF_MESSAGE))

    @app.errorhandler(StaleDataError)
    def _concurrent_change(error: StaleDataError) -> Any:
        # A versioned row (task, booking, payment, assignment, application) was changed by another
        # request between our read and our write: the whole transaction is undone, and the user is told.
        db.session.rollback()
        log.info("Concurrent change refused on %s %s: %s", request.method, request.path, error)
        return render_error(409, str(CONFLICT_MESSAGE), CONFLICT_TITLE)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        code = error.code or 500
        if code < 400:  # routing redirects travel as exceptions too
            return error
        if code >= 500:
            db.session.rollback()
        # Our own exceptions (FileTooLarge, FileNotServable, …) carry a translated message and title.
        detail = str(error.message) if hasattr(error, "message") else None
        return render_error(code, detail, getattr(error, "title", None))

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def _server_error(error: Exception) -> Any:
        if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
            return _http(error)
        db.session.rollback()
        original = getattr(error, "original_exception", None) or error
        log.error("Unhandled error on %s %s", request.method, request.path, exc_info=original)
        return render_error(500)
