"""Staff pages for checklist templates: list, detail, create/edit, steps (add, edit, delete, reorder).

Registered on the soft-landing blueprint (``views.py`` imports this module at its end).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.forms import PostForm
from kakehashi.core.templating import add_nav, for_staff
from kakehashi.extensions import db
from kakehashi.softlanding import template_services as services
from kakehashi.softlanding.models import ChecklistTemplate, TemplateStep
from kakehashi.softlanding.template_forms import ActiveForm, MoveForm, StepForm, TemplateForm
from kakehashi.softlanding.views import bp

add_nav("softlanding.template_list", _l("Checklist templates"), visible=for_staff, order=41, area="admin")


def _template_or_404(template_id: int) -> ChecklistTemplate:
    template = services.load_template(template_id)
    if template is None:
        abort(404)
    return template


def _step_or_404(template: ChecklistTemplate, step_id: int) -> TemplateStep:
    step = next((step for step in template.steps if step.id == step_id), None)
    if step is None:
        abort(404)
    return step


def _detail_url(template: ChecklistTemplate) -> str:
    return url_for("softlanding.template_detail", template_id=template.id)


@bp.get("/landing/templates/")
@access.staff
def template_list() -> Any:
    return render_template("softlanding/template_list.html", rows=services.template_rows())


@bp.route("/landing/templates/new", methods=["GET", "POST"])
@access.staff
def template_new() -> Any:
    form = TemplateForm()
    error = None
    if form.validate_on_submit():
        try:
            template = services.create_template(key=form.key.data.strip(), by=current_user, **form.values())
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("The template has been created. Add its steps below."), "success")
            return redirect(_detail_url(template))
    return render_template("softlanding/template_form.html", form=form, template=None, error=error)


@bp.get("/landing/templates/<int:template_id>")
@access.staff
def template_detail(template_id: int) -> Any:
    template = _template_or_404(template_id)
    titles = {step.key: step.title for step in template.steps}
    return render_template(
        "softlanding/template_detail.html",
        template=template,
        titles=titles,
        post_form=PostForm(),
        active_form=ActiveForm(),
        move_form=MoveForm(),
    )


@bp.route("/landing/templates/<int:template_id>/edit", methods=["GET", "POST"])
@access.staff
def template_edit(template_id: int) -> Any:
    template = _template_or_404(template_id)
    form = TemplateForm(obj=template, editing=True)
    if request.method == "GET":
        form.fill_from(template)
    if form.validate_on_submit():
        services.update_template(template, by=current_user, **form.values())
        db.session.commit()
        flash(_("The template has been saved (version %(version)d).", version=template.version), "success")
        return redirect(_detail_url(template))
    return render_template("softlanding/template_form.html", form=form, template=template, error=None)


@bp.post("/landing/templates/<int:template_id>/active")
@access.staff
def template_active(template_id: int) -> Any:
    template = _template_or_404(template_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    services.set_template_active(template, active, by=current_user)
    db.session.commit()
    if active:
        flash(_("The template is offered again when opening a case."), "success")
    else:
        flash(_("The template is no longer offered when opening a case. Open cases keep their checklist."), "success")
    return redirect(_detail_url(template))


# --- steps ----------------------------------------------------------------------------------------


def _render_step_form(template: ChecklistTemplate, step: TemplateStep | None, form: StepForm, error: str | None) -> Any:
    return render_template("softlanding/template_step_form.html", template=template, step=step, form=form, error=error)


@bp.route("/landing/templates/<int:template_id>/steps/new", methods=["GET", "POST"])
@access.staff
def template_step_new(template_id: int) -> Any:
    template = _template_or_404(template_id)
    form = StepForm(other_steps=template.steps)
    error = None
    if form.validate_on_submit():
        try:
            step = services.add_step(template, form.values(), by=current_user)
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Step “%(key)s” has been added.", key=step.key), "success")
            return redirect(_detail_url(template))
    return _render_step_form(template, None, form, error)


@bp.route("/landing/templates/<int:template_id>/steps/<int:step_id>/edit", methods=["GET", "POST"])
@access.staff
def template_step_edit(template_id: int, step_id: int) -> Any:
    template = _template_or_404(template_id)
    step = _step_or_404(template, step_id)
    form = StepForm(obj=step, other_steps=[other for other in template.steps if other.id != step.id])
    if request.method == "GET":
        form.fill_from(step)
    error = None
    if form.validate_on_submit():
        try:
            services.update_step(step, form.values(), by=current_user)
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Step “%(key)s” has been saved.", key=step.key), "success")
            return redirect(_detail_url(template))
    return _render_step_form(template, step, form, error)


@bp.post("/landing/templates/<int:template_id>/steps/<int:step_id>/delete")
@access.staff
def template_step_delete(template_id: int, step_id: int) -> Any:
    template = _template_or_404(template_id)
    step = _step_or_404(template, step_id)
    if not PostForm().validate_on_submit():
        abort(400)
    key = step.key
    try:
        services.delete_step(step, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Step “%(key)s” has been deleted.", key=key), "success")
    return redirect(_detail_url(template))


@bp.post("/landing/templates/<int:template_id>/steps/<int:step_id>/move")
@access.staff
def template_step_move(template_id: int, step_id: int) -> Any:
    template = _template_or_404(template_id)
    step = _step_or_404(template, step_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.move_step(step, form.offset, by=current_user)
    db.session.commit()
    return redirect(_detail_url(template) + f"#step-{step.id}")
