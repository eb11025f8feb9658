"""Pagination for list pages: two queries (the page and the count), whatever the table size."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from kakehashi.extensions import db

# ``?page=`` beyond this is read as this: an offset past 64 bits is a database error, not an empty page.
MAX_PAGE = 100_000


def page_number() -> int:
    """``?page=`` as a page number from 1 to ``MAX_PAGE``; 1 when absent or not a number."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def paginate(query: Select[Any], per_page: int | None = None) -> Pagination:
    return db.paginate(
        query,
        page=page_number(),
        per_page=per_page or current_app.config["PER_PAGE"],
        max_per_page=200,
        error_out=False,
    )
