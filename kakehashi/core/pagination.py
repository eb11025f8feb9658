"""Pagination for list pages: two queries (the page and the count), whatever the table size."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from kakehashi.extensions import db


def paginate(query: Select[Any], per_page: int | None = None) -> Pagination:
    return db.paginate(
        query,
        per_page=per_page or current_app.config["PER_PAGE"],
        max_per_page=200,
        error_out=False,
    )
