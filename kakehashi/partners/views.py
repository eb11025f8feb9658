"""Partner hubs, desk bookings between them, receipts, calendar feeds and joint events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError

from kakehashi.accounts.models import Startup
from kakehashi.accounts.permissions import is_staff
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.core import pagecache
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.forms import PostForm, flash_form_errors
from kakehashi.core.i18n import current_locale
from kakehashi.core.pagination import page_number
from kakehashi.core.templating import add_nav, for_signed_in, for_staff
from kakehashi.extensions import db
from kakehashi.partners import feeds, permissions, queries, services
from kakehashi.partners.calendar import occupancy_calendar, weekday_names
from kakehashi.partners.forms import (
    NEW_STARTUP,
    BookingFilterForm,
    DecisionForm,
    DeclineForm,
    EventForm,
    HubForm,
    HubStaffForm,
    InboundBookingForm,
    OutboundBookingForm,
    apply_errors,
)
from kakehashi.partners.models import BookingState, Direction, ExchangeBooking, HubMember, PartnerHub

bp = Blueprint("partners", __name__, template_folder="templates", url_prefix="/partners")
add_nav("partners.index", _l("Partner hubs"), visible=for_signed_in, order=40)
add_nav("partners.bookings", _l("Desk bookings"), visible=for_staff, order=40, area="admin")
add_nav("partners.events", _l("Joint events"), visible=for_staff, order=41, area="admin")


def _page() -> int:
    return page_number()


# --- hubs -------------------------------------------------------------------------------------------------


@bp.get("/")
@access.signed_in
def index() -> Any:
    return render_template(
        "partners/index.html",
        rows=queries.hub_rows(current_user),
        can_manage=permissions.can_manage_hubs(current_user),
        can_request_outbound=permissions.can_request_outbound(current_user),
        is_partner_staff=permissions.is_partner_staff(current_user),
        own_hub_ids=permissions.hub_ids_of(current_user),
    )


def _load_hub(hub_id: int) -> PartnerHub:
    hub = access.load_or_404(PartnerHub, hub_id)
    access.require(permissions.can_view_hub(current_user, hub), hide=True)
    return hub


@bp.get("/hubs/<int:hub_id>")
@pagecache.page
@access.rule("can_view_hub")
def hub(hub_id: int) -> Any:
    hub = _load_hub(hub_id)
    can_manage = permissions.can_manage_hubs(current_user)
    sees_bookings = permissions.can_see_hub_bookings(current_user, hub)
    today = services.tokyo_today()
    occupancy = queries.cached_occupancy(("occupancy", hub.id, today, current_locale()), lambda: _occupancy(hub, today))
    return render_template(
        "partners/hub.html",
        hub=hub,
        occupancy=occupancy,
        can_manage=can_manage,
        can_book=permissions.can_book_at(current_user, hub),
        sees_bookings=sees_bookings,
        staff=queries.hub_staff(hub) if sees_bookings else [],
        staff_form=HubStaffForm() if can_manage else None,  # only managers see it
        post_form=PostForm(),
        feed_url=url_for(".feed", token=hub.feed_token, _external=True) if sees_bookings and hub.feed_token else None,
    )


def _occupancy(hub: PartnerHub, today: date) -> Markup:
    """The hub's occupancy calendar (``_occupancy.html``): the same for every viewer."""
    html = render_template(
        "partners/_occupancy.html", hub=hub, months=occupancy_calendar(hub, today), weekdays=weekday_names()
    )
    return Markup(html)  # noqa: S704  # nosec B704  # our own template's output, autoescaped


def _currencies_and_zones() -> dict[str, Any]:
    return {"currencies": sorted(services.currency_codes()), "timezones": sorted(services.timezone_names())}


@bp.route("/hubs/new", methods=["GET", "POST"])
@access.staff
def new_hub() -> Any:
    form = HubForm()
    if form.validate_on_submit():
        try:
            hub = services.save_hub(None, form.values(), by=current_user)
        except services.InvalidHub as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("The hub has been created."), "success")
            return redirect(url_for(".hub", hub_id=hub.id))
    return render_template("partners/hub_form.html", form=form, hub=None, **_currencies_and_zones())


@bp.route("/hubs/<int:hub_id>/edit", methods=["GET", "POST"])
@access.staff
def edit_hub(hub_id: int) -> Any:
    hub = access.load_or_404(PartnerHub, hub_id)
    form = HubForm(obj=hub)
    if request.method == "GET":
        form.fill_from(hub)
    if form.validate_on_submit():
        try:
            services.save_hub(hub, form.values(), by=current_user)
        except services.InvalidHub as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            db.session.commit()
            flash(_("The hub has been saved."), "success")
            return redirect(url_for(".hub", hub_id=hub.id))
    return render_template("partners/hub_form.html", form=form, hub=hub, **_currencies_and_zones())


@bp.post("/hubs/<int:hub_id>/staff")
@access.staff
def add_hub_staff(hub_id: int) -> Any:
    hub = access.load_or_404(PartnerHub, hub_id)
    form = HubStaffForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".hub", hub_id=hub.id))
    try:
        user = services.add_hub_staff(
            hub, email=form.email.data, name=form.name.data, locale=form.locale.data, by=current_user
        )
    except DomainError as error:
        message = str(error)
        db.session.rollback()
        flash(message, "danger")
    else:
        name = user.name
        db.session.commit()
        flash(_("%(name)s is now on the hub's staff and has been told by email.", name=name), "success")
    return redirect(url_for(".hub", hub_id=hub.id))


@bp.post("/hubs/<int:hub_id>/staff/<int:member_id>/remove")
@access.staff
def remove_hub_staff(hub_id: int, member_id: int) -> Any:
    member = access.load_or_404(HubMember, member_id)
    if member.hub_id != hub_id:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    services.remove_hub_staff(member, by=current_user)
    db.session.commit()
    flash(_("They are no longer on the hub's staff."), "success")
    return redirect(url_for(".hub", hub_id=hub_id))


@bp.post("/hubs/<int:hub_id>/feed/rotate")
@access.staff
def rotate_feed(hub_id: int) -> Any:
    hub = access.load_or_404(PartnerHub, hub_id)
    if not PostForm().validate_on_submit():
        abort(400)
    services.rotate_feed_token(hub, by=current_user)
    db.session.commit()
    flash(_("The calendar feed has a new address; the old one no longer works."), "success")
    return redirect(url_for(".hub", hub_id=hub.id))


@bp.post("/hubs/<int:hub_id>/feed/revoke")
@access.staff
def revoke_feed(hub_id: int) -> Any:
    hub = access.load_or_404(PartnerHub, hub_id)
    if not PostForm().validate_on_submit():
        abort(400)
    services.revoke_feed_token(hub, by=current_user)
    db.session.commit()
    flash(_("The calendar feed has been switched off."), "success")
    return redirect(url_for(".hub", hub_id=hub.id))


@bp.get("/feeds/<token>.ics")
@access.public
def feed(token: str) -> Any:
    hub = queries.feed_hub(token)
    if hub is None:
        abort(404)
    body = feeds.hub_calendar(hub, queries.feed_bookings(hub))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="hub-{hub.id}.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- booking requests ---------------------------------------------------------------------------------------


@bp.route("/hubs/<int:hub_id>/book", methods=["GET", "POST"])
@access.rule("can_book_at")
def book(hub_id: int) -> Any:
    """Outbound at a partner hub (a cohort startup), inbound at the home hub (a partner's startup)."""
    hub = _load_hub(hub_id)
    access.require(permissions.can_book_at(current_user, hub))
    if hub.is_home:
        hubs = queries.partner_hubs(ids=None if is_staff(current_user) else permissions.hub_ids_of(current_user))
        startups = services.inbound_startups([h.id for h in hubs])
        form: Any = InboundBookingForm(hubs=hubs, startups=startups)
    else:
        startups = queries.outbound_startups(current_user)
        form = OutboundBookingForm(startups=startups)
    fee = None
    if form.validate_on_submit():
        values = form.dates()
        try:
            services.check_request(
                hub, values["starts_on"], values["ends_on"], values["desks"], today=services.tokyo_today()
            )
            fee = services.booking_fee(hub, values["starts_on"], values["ends_on"], values["desks"])
            if form.send.data and form.fee_shown.data == str(fee):
                booking = _create_booking(hub, form, values)
                db.session.commit()
                flash(_("Your request has been sent. You will hear by email when it is decided."), "success")
                return redirect(url_for(".booking", booking_id=booking.id))
            if form.send.data:
                flash(_("Please check the fee below before sending the request."), "warning")
            form.fee_shown.data = str(fee)
        except DomainError as error:
            message = str(error)
            db.session.rollback()
            form.form_errors.append(message)
            fee = None
    return render_template("partners/book.html", hub=hub, form=form, fee=fee, startups=startups)


def _create_booking(hub: PartnerHub, form: Any, values: dict[str, Any]) -> ExchangeBooking:
    if not hub.is_home:
        startup = access.load_or_404(Startup, form.startup_id.data)
        return services.request_outbound(hub, startup, by=current_user, **values)
    requesting_hub = access.load_or_404(PartnerHub, form.requesting_hub_id.data)
    startup = None if form.startup_id.data == NEW_STARTUP else access.load_or_404(Startup, form.startup_id.data)
    return services.request_inbound(
        hub,
        requesting_hub,
        by=current_user,
        startup=startup,
        new_startup_name=form.new_name.data,
        new_startup_country=form.new_country.data,
        **values,
    )


# --- a booking and its decisions ----------------------------------------------------------------------------


def _load_booking(booking_id: int, predicate: Callable[[Any, ExchangeBooking], bool] | None = None) -> ExchangeBooking:
    """404 for those who may not see it; 403 for those who see it but may not do this."""
    booking = queries.load_booking(booking_id)
    if booking is None:
        abort(404)
    access.require(permissions.can_view_booking(current_user, booking), hide=True)
    if predicate is not None:
        access.require(predicate(current_user, booking))
    return booking


def _booking_context(booking: ExchangeBooking) -> dict[str, Any]:
    from kakehashi.payments.services import stripe_enabled

    today = services.tokyo_today()
    return {
        "booking": booking,
        "hub": booking.hub,
        "payment": queries.payment_of(booking),
        "stripe": stripe_enabled(),
        "can_decide": permissions.can_decide_booking(current_user, booking),
        "can_cancel": permissions.can_cancel_booking(current_user, booking),
        "can_waive": permissions.can_waive_fee(current_user, booking),
        "is_requester": permissions.is_requester(current_user, booking),
        "is_ward_staff": is_staff(current_user),
        "refund_if_cancelled_now": services.refund_rule_met(booking, today),
        # The breakdown is shown while the hub's rate is still the one the fee was computed with.
        "rate_applies": booking.currency == booking.hub.currency
        and services.booking_fee(booking.hub, booking.starts_on, booking.ends_on, booking.desks) == booking.fee,
        "post_form": PostForm(),
        "BookingState": BookingState,
    }


@bp.get("/bookings/<int:booking_id>")
@access.rule("can_view_booking")
def booking(booking_id: int) -> Any:
    booking = _load_booking(booking_id)
    return render_template(
        "partners/booking.html",
        timeline=queries.booking_timeline(booking),
        decision_form=DecisionForm(),
        decline_form=DeclineForm(),
        **_booking_context(booking),
    )


@bp.get("/bookings/<int:booking_id>/receipt")
@access.rule("can_view_booking")
def receipt(booking_id: int) -> Any:
    booking = _load_booking(booking_id)
    return render_template("partners/receipt.html", **_booking_context(booking))


def _act(booking_id: int, action: Callable[[], None], done: str) -> Any:
    """Run one service call, commit once, and say what happened (or why not)."""
    try:
        action()
        db.session.commit()
    except DomainError as error:
        message = str(error)
        db.session.rollback()
        flash(message, "danger")
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed this booking at the same moment. Please look at it again."), "warning")
    else:
        flash(done, "success")
    return redirect(url_for(".booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/approve")
@access.rule("can_decide_booking")
def approve(booking_id: int) -> Any:
    booking = _load_booking(booking_id, permissions.can_decide_booking)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".booking", booking_id=booking_id))
    return _act(
        booking_id,
        lambda: services.approve_booking(booking, by=current_user, note=form.note.data),
        _("The booking has been approved; the requester has been told."),
    )


@bp.post("/bookings/<int:booking_id>/decline")
@access.rule("can_decide_booking")
def decline(booking_id: int) -> Any:
    booking = _load_booking(booking_id, permissions.can_decide_booking)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for(".booking", booking_id=booking_id))
    return _act(
        booking_id,
        lambda: services.decline_booking(booking, by=current_user, note=form.note.data),
        _("The request has been declined; the requester has been told why."),
    )


@bp.post("/bookings/<int:booking_id>/waive-fee")
@access.staff
def waive_fee(booking_id: int) -> Any:
    booking = _load_booking(booking_id)
    if not PostForm().validate_on_submit():
        abort(400)
    return _act(booking_id, lambda: services.waive_fee(booking, by=current_user), _("The fee has been waived."))


@bp.post("/bookings/<int:booking_id>/cancel")
@access.rule("can_cancel_booking")
def cancel(booking_id: int) -> Any:
    booking = _load_booking(booking_id, permissions.can_cancel_booking)
    if not PostForm().validate_on_submit():
        abort(400)
    return _act(
        booking_id, lambda: services.cancel_booking(booking, by=current_user), _("The booking has been cancelled.")
    )


# --- booking lists ----------------------------------------------------------------------------------------


def _list(template: str, query: Any, filter_form: BookingFilterForm, **context: Any) -> Any:
    page = queries.booking_page(query, page=_page())
    return render_template(template, page=page, filter_form=filter_form, **context)


@bp.get("/bookings/mine")
@access.signed_in
def my_bookings() -> Any:
    form = BookingFilterForm(formdata=request.args, hubs=[])
    return _list(
        "partners/my_bookings.html",
        queries.my_bookings_select(current_user, form.filters()),
        form,
        can_request_outbound=permissions.can_request_outbound(current_user),
    )


@bp.get("/hubs/<int:hub_id>/bookings")
@access.rule("can_see_hub_bookings")
def hub_bookings(hub_id: int) -> Any:
    hub = _load_hub(hub_id)
    access.require(permissions.can_see_hub_bookings(current_user, hub))
    form = BookingFilterForm(formdata=request.args, hubs=[])
    if "state" not in request.args:
        form.state.data = BookingState.REQUESTED.value  # the queue opens on what waits for a decision
    return _list("partners/hub_bookings.html", queries.hub_queue_select(hub, form.filters()), form, hub=hub)


@bp.get("/bookings/")
@access.staff
def bookings() -> Any:
    form = BookingFilterForm(formdata=request.args, hubs=[row.hub for row in queries.hub_rows(current_user)])
    return _list(
        "partners/bookings.html",
        queries.bookings_select(everything=True, filters=form.filters()),
        form,
        directions=list(Direction),
    )


# --- joint events -----------------------------------------------------------------------------------------


@bp.get("/events/")
@access.staff
def events() -> Any:
    today = services.tokyo_today()
    year = request.args.get("year", type=int) or fiscal_year_of(today)
    if not 1990 <= year <= fiscal_year_of(today) + 1:
        abort(404)
    first, last = fiscal_year_bounds(year)
    return render_template(
        "partners/events.html",
        year=year,
        first=first,
        last=last,
        events=queries.events_of_year(year),
        years=queries.event_years(today),
        post_form=PostForm(),
    )


@bp.route("/events/new", methods=["GET", "POST"])
@access.staff
def new_event() -> Any:
    form = EventForm(hubs=queries.partner_hubs())
    if form.validate_on_submit():
        try:
            event = services.save_event(None, form.values(), by=current_user)
        except services.InvalidEvent as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            year = fiscal_year_of(event.held_on)
            db.session.commit()
            flash(_("The event has been recorded."), "success")
            return redirect(url_for(".events", year=year))
    return render_template("partners/event_form.html", form=form, event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@access.staff
def edit_event(event_id: int) -> Any:
    event = queries.load_event(event_id)
    if event is None:
        abort(404)
    form = EventForm(obj=event, hubs=queries.partner_hubs())
    if request.method == "GET":
        form.fill_from(event)
    if form.validate_on_submit():
        try:
            services.save_event(event, form.values(), by=current_user)
        except services.InvalidEvent as error:
            db.session.rollback()
            apply_errors(form, error.errors)
        else:
            year = fiscal_year_of(event.held_on)
            db.session.commit()
            flash(_("The event has been saved."), "success")
            return redirect(url_for(".events", year=year))
    return render_template("partners/event_form.html", form=form, event=event)


@bp.post("/events/<int:event_id>/delete")
@access.staff
def delete_event(event_id: int) -> Any:
    event = queries.load_event(event_id)
    if event is None:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    year = fiscal_year_of(event.held_on)
    services.delete_event(event, by=current_user)
    db.session.commit()
    flash(_("The event has been deleted."), "success")
    return redirect(url_for(".events", year=year))
