"""Cohort pages (staff), funding rounds and annual reports (startup members and staff), verification (staff)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kakehashi.accounts.models import Startup
from kakehashi.cohorts import permissions, queries, services, validation
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.forms import (
    AddMemberForm,
    AnnualReportForm,
    CohortForm,
    FundingRoundForm,
    MemberStatusForm,
    ReviewForm,
    SurveyForm,
    ValuationMarkForm,
)
from kakehashi.cohorts.models import AnnualReport, Cohort, CohortMember, FundingRound, MemberStatus, Verification
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.forms import flash_form_errors
from kakehashi.core.templating import add_nav, for_staff
from kakehashi.extensions import db

bp = Blueprint("cohorts", __name__, template_folder="templates")
add_nav("cohorts.index", _l("Cohorts"), visible=for_staff, order=20)
add_nav("cohorts.rounds_queue", _l("Rounds to verify"), visible=for_staff, order=30, area="admin")
add_nav("cohorts.reports_queue", _l("Annual reports to verify"), visible=for_staff, order=31, area="admin")


# --- cohorts (staff) -------------------------------------------------------------------------------


@bp.get("/cohorts/")
@access.staff
def index() -> Any:
    return render_template("cohorts/index.html", rows=queries.cohort_list(), statuses=list(MemberStatus))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@access.staff
def new_cohort() -> Any:
    form = CohortForm()
    if form.validate_on_submit():
        cohort = services.save_cohort(None, by=current_user, **form.values())
        db.session.commit()
        flash(_("The cohort has been created. Add its startups below."), "success")
        return redirect(url_for(".cohort", cohort_id=cohort.id))
    return render_template("cohorts/cohort_form.html", form=form, cohort=None)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@access.staff
def edit_cohort(cohort_id: int) -> Any:
    cohort = access.load_or_404(Cohort, cohort_id)
    form = CohortForm(obj=cohort)
    if request.method == "GET":
        form.fill_from(cohort)
    if form.validate_on_submit():
        services.save_cohort(cohort, by=current_user, **form.values())
        db.session.commit()
        flash(_("The cohort has been saved."), "success")
        return redirect(url_for(".cohort", cohort_id=cohort.id))
    return render_template("cohorts/cohort_form.html", form=form, cohort=cohort)


@bp.get("/cohorts/<int:cohort_id>")
@access.staff
def cohort(cohort_id: int) -> Any:
    cohort = access.load_or_404(Cohort, cohort_id)
    today = services.tokyo_today()
    return render_template(
        "cohorts/cohort.html",
        cohort=cohort,
        members=queries.cohort_members(cohort),
        add_form=AddMemberForm(startups=queries.startups_not_in(cohort)),
        status_form=MemberStatusForm(),
        survey_form=SurveyForm(fiscal_year=fiscal_year_of(today) - 1),
        surveys=queries.surveys_of(cohort),
        statuses=list(MemberStatus),
    )


@bp.post("/cohorts/<int:cohort_id>/members")
@access.staff
def add_member(cohort_id: int) -> Any:
    cohort = access.load_or_404(Cohort, cohort_id)
    form = AddMemberForm(startups=queries.startups_not_in(cohort))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".cohort", cohort_id=cohort.id))
    startup = access.load_or_404(Startup, form.startup_id.data)
    try:
        services.add_member(cohort, startup, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The startup has been added to the cohort."), "success")
    return redirect(url_for(".cohort", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/members/<int:member_id>/status")
@access.staff
def member_status(cohort_id: int, member_id: int) -> Any:
    member = access.load_or_404(CohortMember, member_id)
    if member.cohort_id != cohort_id:
        abort(404)
    form = MemberStatusForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".cohort", cohort_id=cohort_id))
    services.change_member_status(member, MemberStatus(form.status.data), by=current_user)
    db.session.commit()
    flash(_("The member's status has been saved."), "success")
    return redirect(url_for(".cohort", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/surveys")
@access.staff
def send_survey(cohort_id: int) -> Any:
    cohort = access.load_or_404(Cohort, cohort_id)
    form = SurveyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".cohort", cohort_id=cohort.id))
    try:
        services.send_survey(cohort, form.fiscal_year.data, by=current_user)
    except validation.InvalidFigures as error:
        db.session.rollback()
        for message in error.errors.values():
            flash(str(message), "danger")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The survey has been sent. A reminder follows in 14 days."), "success")
    return redirect(url_for(".cohort", cohort_id=cohort.id))


# --- funding rounds ------------------------------------------------------------------------------------


def _startup_for_reporting(startup_id: int) -> Startup:
    startup = access.load_or_404(Startup, startup_id)
    access.require(permissions.can_report_for(current_user, startup), hide=True)
    return startup


def _load_round(round_id: int) -> FundingRound:
    funding_round = access.load_or_404(FundingRound, round_id)
    access.require(permissions.can_view_round(current_user, funding_round), hide=True)
    return funding_round


@bp.route("/startups/<int:startup_id>/rounds/new", methods=["GET", "POST"])
@access.rule("can_report_for")
def new_round(startup_id: int) -> Any:
    startup = _startup_for_reporting(startup_id)
    form = FundingRoundForm()
    if form.validate_on_submit():
        try:
            funding_round = services.report_round(startup, form.values(), by=current_user)
        except validation.InvalidFigures as error:
            db.session.rollback()
            form.show_errors(error.errors)
        else:
            db.session.commit()
            flash(_("The round has been reported. It counts once programme staff have verified it."), "success")
            return redirect(url_for(".round_detail", round_id=funding_round.id))
    return render_template(
        "cohorts/round_form.html", form=form, startup=startup, funding_round=None, currencies=_currencies()
    )


def _currencies() -> list[str]:
    return sorted(validation.currency_codes())


@bp.get("/rounds/<int:round_id>")
@access.rule("can_view_round")
def round_detail(round_id: int) -> Any:
    funding_round = _load_round(round_id)
    return render_template(
        "cohorts/round.html",
        funding_round=funding_round,
        startup=db.session.get(Startup, funding_round.startup_id),
        mark=queries.mark_of_round(funding_round),
        review_form=ReviewForm(),
        can_verify=permissions.can_verify(current_user),
        can_correct=permissions.can_correct_round(current_user, funding_round),
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@access.rule("can_correct_round")
def edit_round(round_id: int) -> Any:
    funding_round = _load_round(round_id)
    access.require(permissions.can_correct_round(current_user, funding_round))
    startup = db.session.get(Startup, funding_round.startup_id)
    form = FundingRoundForm(obj=funding_round)
    if request.method == "GET":
        form.stage.data = funding_round.stage.value
    if form.validate_on_submit():
        try:
            services.correct_round(funding_round, form.values(), by=current_user)
        except validation.InvalidFigures as error:
            db.session.rollback()
            form.show_errors(error.errors)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The round has been saved and awaits verification."), "success")
            return redirect(url_for(".round_detail", round_id=funding_round.id))
    return render_template(
        "cohorts/round_form.html", form=form, startup=startup, funding_round=funding_round, currencies=_currencies()
    )


@bp.get("/admin/rounds")
@access.staff
def rounds_queue() -> Any:
    return render_template("cohorts/rounds_queue.html", rounds=queries.rounds_awaiting_review())


@bp.post("/admin/rounds/<int:round_id>/review")
@access.staff
def review_round(round_id: int) -> Any:
    funding_round = access.load_or_404(FundingRound, round_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".round_detail", round_id=round_id))
    try:
        mark = services.review_round(funding_round, verify=form.verify, note=form.note.data, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".round_detail", round_id=round_id))
    db.session.commit()
    if not form.verify:
        flash(_("The round has been rejected; the startup has been told why."), "success")
    elif mark is not None:
        flash(_("The round has been verified and its post-money recorded as a valuation mark."), "success")
    else:
        flash(_("The round has been verified."), "success")
    return redirect(url_for(".rounds_queue"))


# --- valuation marks (staff) ----------------------------------------------------------------------------


@bp.post("/startups/<int:startup_id>/valuations")
@access.staff
def add_valuation(startup_id: int) -> Any:
    startup = access.load_or_404(Startup, startup_id)
    form = ValuationMarkForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("startups.detail", startup_id=startup.id))
    try:
        services.add_valuation_mark(startup, by=current_user, **form.values())
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The valuation mark has been added."), "success")
    return redirect(url_for("startups.detail", startup_id=startup.id))


# --- annual reports -----------------------------------------------------------------------------------


@bp.route("/startups/<int:startup_id>/reports/<int:fiscal_year>", methods=["GET", "POST"])
@access.rule("can_report_for")
def annual_report(startup_id: int, fiscal_year: int) -> Any:
    startup = _startup_for_reporting(startup_id)
    if not services.reportable_fiscal_year(fiscal_year):
        abort(404)
    report = services.annual_report_of(startup, fiscal_year)
    form = AnnualReportForm(obj=report)
    editable = report is None or report.status is not Verification.VERIFIED
    if editable and form.validate_on_submit():
        try:
            report = services.save_annual_report(startup, fiscal_year, by=current_user, **form.values())
        except validation.InvalidFigures as error:
            db.session.rollback()
            form.show_errors(error.errors)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Thank you. Your figures have been sent to programme staff for verification."), "success")
            return redirect(url_for("startups.detail", startup_id=startup.id))
    start, end = fiscal_year_bounds(fiscal_year)
    return render_template(
        "cohorts/report_form.html",
        form=form,
        startup=startup,
        report=report,
        fiscal_year=fiscal_year,
        fy_start=start,
        fy_end=end,
        editable=editable,
    )


@bp.get("/annual-reports/<int:report_id>")
@access.rule("can_view_report")
def report_detail(report_id: int) -> Any:
    report = access.load_or_404(AnnualReport, report_id)
    access.require(permissions.can_view_report(current_user, report), hide=True)
    start, end = fiscal_year_bounds(report.fiscal_year)
    return render_template(
        "cohorts/report.html",
        report=report,
        startup=db.session.get(Startup, report.startup_id),
        fy_start=start,
        fy_end=end,
        review_form=ReviewForm(),
        can_verify=permissions.can_verify(current_user),
    )


@bp.get("/admin/annual-reports")
@access.staff
def reports_queue() -> Any:
    return render_template("cohorts/reports_queue.html", reports=queries.reports_awaiting_review())


@bp.post("/admin/annual-reports/<int:report_id>/review")
@access.staff
def review_report(report_id: int) -> Any:
    report = access.load_or_404(AnnualReport, report_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".report_detail", report_id=report_id))
    try:
        services.review_annual_report(report, verify=form.verify, note=form.note.data, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".report_detail", report_id=report_id))
    db.session.commit()
    flash(
        _("The annual report has been verified.")
        if form.verify
        else _("The annual report has been rejected; the startup has been told why."),
        "success",
    )
    return redirect(url_for(".reports_queue"))


# The KPI dashboard's routes live on this blueprint too (kept in their own module).
from kakehashi.cohorts import kpi_views  # noqa: E402, F401
