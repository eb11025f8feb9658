"""Pages that belong to no feature: home, health, file downloads, and the staff audit/outbox pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from kakehashi.core import audit, outbox, pagecache, storage
from kakehashi.core import permissions as access
from kakehashi.core.forms import AuditFilterForm, OutboxFilterForm, PostForm
from kakehashi.core.pagination import paginate
from kakehashi.core.templating import add_nav, for_staff
from kakehashi.core.timezones import tokyo_day_bounds
from kakehashi.extensions import db

bp = Blueprint("core", __name__)
add_nav("core.audit_log", _l("Audit log"), visible=for_staff, order=80, area="admin")
add_nav("core.outbox_list", _l("Outbox"), visible=for_staff, order=90, area="admin")


# Features add what the home page shows (e.g. the open calls) without core importing them.
_home_context: list[Callable[[], dict[str, Any]]] = []


def add_home_context(provider: Callable[[], dict[str, Any]]) -> None:
    _home_context.append(provider)


@bp.get("/")
@pagecache.page
@access.public
def home() -> Any:
    context: dict[str, Any] = {"open_calls": []}
    for provider in _home_context:
        context.update(provider())
    return render_template("core/home.html", **context)


@bp.get("/healthz")
@access.public
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return jsonify(status="error", database="unreachable", detail=type(error).__name__), 503
    return jsonify(status="ok", database="ok")


@bp.get("/files/<int:file_id>")
@access.rule("can_download")
def download(file_id: int) -> Any:
    stored = access.load_or_404(storage.StoredFile, file_id)
    access.require(storage.can_download(current_user, stored), hide=True)
    response = storage.download_response(stored)
    audit.record(current_user, "file.downloaded", stored, {"purpose": stored.purpose})
    db.session.commit()
    return response


@bp.get("/admin/audit")
@access.staff
def audit_log() -> Any:
    filters = AuditFilterForm(request.args)
    query = (
        select(audit.AuditEvent)
        .options(joinedload(audit.AuditEvent.actor))
        .order_by(audit.AuditEvent.at.desc(), audit.AuditEvent.id.desc())
    )
    if filters.validate():
        if filters.action.data:
            query = query.where(audit.AuditEvent.action.like(f"{filters.action.data.strip()}%"))
        if filters.object_type.data:
            query = query.where(audit.AuditEvent.object_type == filters.object_type.data.strip())
        if filters.object_id.data is not None:
            query = query.where(audit.AuditEvent.object_id == filters.object_id.data)
        if filters.actor.data:
            query = query.where(audit.AuditEvent.actor.has(email=filters.actor.data.strip().lower()))
        if filters.since.data:
            query = query.where(audit.AuditEvent.at >= tokyo_day_bounds(filters.since.data)[0])
        if filters.until.data:
            query = query.where(audit.AuditEvent.at < tokyo_day_bounds(filters.until.data)[1])
    page = paginate(query)
    return render_template("core/audit.html", page=page, filters=filters)


@bp.get("/admin/outbox")
@access.staff
def outbox_list() -> Any:
    filters = OutboxFilterForm(request.args)
    query = select(outbox.OutboundEmail).order_by(outbox.OutboundEmail.id.desc())
    if filters.validate():
        if filters.status.data:
            query = query.where(outbox.OutboundEmail.status == filters.status.data)
        if filters.to.data:
            query = query.where(outbox.OutboundEmail.to_address.like(f"%{filters.to.data.strip().lower()}%"))
    page = paginate(query)
    return render_template(
        "core/outbox.html",
        page=page,
        filters=filters,
        form=PostForm(),
        mail_configured=bool(current_app.config.get("MAIL_URL")),
    )


@bp.get("/admin/outbox/<int:email_id>")
@access.staff
def outbox_detail(email_id: int) -> Any:
    email = access.load_or_404(outbox.OutboundEmail, email_id)
    return render_template("core/outbox_detail.html", email=email, form=PostForm())


@bp.post("/admin/outbox/<int:email_id>/retry")
@access.staff
def outbox_retry(email_id: int) -> Any:
    email = access.load_or_404(outbox.OutboundEmail, email_id)
    if PostForm().validate_on_submit() and email.status != outbox.EmailStatus.SENT:
        outbox.retry_now(email)
        audit.record(current_user, "email.retry", email)
        db.session.commit()
        flash(_("The email is queued to be sent again."), "success")
    return redirect(url_for("core.outbox_detail", email_id=email.id))
