"""Sign-in, registration, password reset, invitations, the profile, and staff user management."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import confirm_login, current_user, login_user, logout_user
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from kakehashi.accounts import deletion, services
from kakehashi.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    DeleteUserForm,
    EmptyForm,
    InviteForm,
    LoginForm,
    ProfileForm,
    ReauthenticateForm,
    RegistrationForm,
    ResetRequestForm,
    SetPasswordForm,
    UserFilterForm,
)
from kakehashi.accounts.models import Invitation, InvitedRole, StartupMember, User
from kakehashi.applications.judging.models import CallJudge
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.freshness import fresh_login_required, mark_fresh, require_fresh_login
from kakehashi.core.i18n import current_locale
from kakehashi.core.pagination import paginate
from kakehashi.core.templating import add_nav, for_staff
from kakehashi.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__, template_folder="templates")
add_nav("accounts.users", _l("Users"), visible=for_staff, order=70, area="admin")


def _auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


auth_rate_limit = limiter.limit(_auth_limit, methods=["POST"])


# Whether the user judges any call (the nav shows "Judging"): every page asks, so it is read with the
# user, in the same query, and left in ``g.judges_any_call`` as (user id, answer) for the nav. The
# statement is built once: every signed-in request runs it.
_LOAD_USER = select(User, select(CallJudge.id).where(CallJudge.user_id == User.id).exists()).where(
    User.id == bindparam("user_id")
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    row = db.session.execute(_LOAD_USER, {"user_id": int(user_id)}).first()
    if row is None:
        return None
    user, judges = row
    if user.session_version != int(version) or not user.active:
        return None
    g.judges_any_call = (user.id, bool(judges))
    return user


def safe_next(target: str | None) -> str | None:
    """A same-site path, or None. Refuses ``//host``, ``/\\host``, schemes and anything odd."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _home_for(user: User) -> str:
    return url_for("core.home")


# --- signing in and out --------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@access.public
@auth_rate_limit
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or _home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            services.record_login(user)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(form.next.data) or _home_for(user))
        db.session.commit()  # a rehash on a correct password for an inactive account is harmless
        form.password.errors.append(_("The email address or password is not correct."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@access.signed_in
def logout() -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You have been signed out."), "info")
    return redirect(url_for("core.home"))


@bp.route("/reauthenticate", methods=["GET", "POST"])
@access.signed_in
@auth_rate_limit
def reauthenticate() -> Any:
    """Enter the password again before a sensitive action (see ``core.freshness``)."""
    form = ReauthenticateForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        if services.reauthenticate(user, form.password.data):
            db.session.commit()
            confirm_login()
            mark_fresh()
            flash(_("Thank you. You can continue."), "success")
            return redirect(safe_next(form.next.data) or url_for("accounts.profile"))
        db.session.commit()  # a rehash on a correct password is harmless; a wrong one changes nothing
        form.password.errors.append(_("The password is not correct."))
    return render_template("accounts/reauthenticate.html", form=form)


# --- registration and email verification ----------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@access.public
@auth_rate_limit
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegistrationForm(locale=current_locale())
    if form.validate_on_submit():
        try:
            user = services.register(
                email=form.email.data, name=form.name.data, password=form.password.data, locale=form.locale.data
            )
        except DomainError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            login_user(user)
            flash(
                _("Your account is ready. We have sent a link to %(email)s to confirm your address.", email=user.email),
                "success",
            )
            return redirect(url_for("core.home"))
    return render_template("accounts/register.html", form=form)


@bp.get("/verify/<token>")
@access.public
def verify_email(token: str) -> Any:
    try:
        services.verify_email(token)
    except DomainError as error:
        flash(str(error), "danger")
        return redirect(url_for("core.home"))
    db.session.commit()
    flash(_("Thank you, your email address is confirmed."), "success")
    return redirect(url_for("core.home"))


@bp.post("/verify/resend")
@access.signed_in
@auth_rate_limit
def resend_verification() -> Any:
    form = EmptyForm()
    if form.validate_on_submit() and not current_user.email_verified:
        services.send_verification(current_user)
        db.session.commit()
        flash(_("We have sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("accounts.profile"))


# --- password reset and invitations ---------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@access.public
@auth_rate_limit
def forgot_password() -> Any:
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _(
                "If an account exists for %(email)s, we have sent it a link to choose a new password.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access.public
@auth_rate_limit
def reset_password(token: str) -> Any:
    try:
        user = services.user_from_token(token, "reset")
    except DomainError as error:
        flash(str(error), "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = SetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        login_user(user)
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("core.home"))
    return render_template("accounts/set_password.html", form=form, user=user, mode="reset")


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access.public
@auth_rate_limit
def accept_invitation(token: str) -> Any:
    try:
        user = services.user_from_token(token, "invite")
        if user.has_password:
            raise services.InvalidToken()
    except DomainError as error:
        flash(str(error), "danger")
        return redirect(url_for("accounts.login"))
    form = SetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        services.accept_invitation(token, form.password.data)
        db.session.commit()
        login_user(user)
        flash(_("Welcome to Kakehashi, %(name)s.", name=user.name), "success")
        return redirect(url_for("core.home"))
    return render_template("accounts/set_password.html", form=form, user=user, mode="invite")


# --- the signed-in user's own account -----------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@access.signed_in
def profile() -> Any:
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw", account_email=current_user.email)
    if form.validate_on_submit():
        services.update_profile(current_user, name=form.name.data, locale=form.locale.data)
        db.session.commit()
        session["locale"] = current_user.locale
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"))
    return _render_profile(form=form, password_form=password_form)


def _render_profile(
    form: ProfileForm | None = None,
    password_form: ChangePasswordForm | None = None,
    email_form: ChangeEmailForm | None = None,
) -> Any:
    """The account page; the form being submitted (if any) keeps its data and errors, the others are blank."""
    memberships = db.session.scalars(
        select(StartupMember).where(StartupMember.user_id == current_user.id).options(_startup_loader())
    ).all()
    return render_template(
        "accounts/profile.html",
        form=form if form is not None else ProfileForm(obj=current_user),
        password_form=password_form
        if password_form is not None
        else ChangePasswordForm(prefix="pw", account_email=current_user.email, formdata=None),
        email_form=email_form if email_form is not None else ChangeEmailForm(prefix="em", formdata=None),
        memberships=memberships,
        resend_form=EmptyForm(),
    )


def _startup_loader() -> Any:
    return joinedload(StartupMember.startup)


@bp.post("/account/password")
@access.signed_in
def change_password() -> Any:
    require_fresh_login(back=url_for("accounts.profile"))
    form = ChangePasswordForm(prefix="pw", account_email=current_user.email)
    if form.validate_on_submit():
        try:
            services.change_password(current_user, current=form.current.data, new=form.password.data)
        except DomainError as error:
            form.current.errors.append(str(error))
        else:
            db.session.commit()
            # This browser carries the new session version; the others end.
            login_user(current_user._get_current_object())  # type: ignore[attr-defined]
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    db.session.rollback()
    return _render_profile(password_form=form)


@bp.post("/account/email")
@access.signed_in
def change_email() -> Any:
    require_fresh_login(back=url_for("accounts.profile"))
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        try:
            services.change_email(current_user, current=form.current.data, new_email=form.email.data)
        except services.EmailTaken as error:
            form.email.errors.append(str(error))
        except DomainError as error:
            form.current.errors.append(str(error))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # type: ignore[attr-defined]
            flash(
                _(
                    "Your email address is now %(email)s. We have sent a link there to confirm it.",
                    email=current_user.email,
                ),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    db.session.rollback()
    return _render_profile(email_form=form)


@bp.route("/account/delete", methods=["GET", "POST"])
@access.signed_in
def delete_account() -> Any:
    """Delete one's own account: fresh login, the password again, and a tick."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if request.method == "POST":
        require_fresh_login(back=url_for("accounts.delete_account"))
    plan = deletion.plan_deletion(user)
    problem = deletion.deletion_problem(user, plan)
    form = DeleteAccountForm()
    if problem is None and form.validate_on_submit():
        try:
            deletion.delete_own_account(user, password=form.password.data)
        except deletion.WrongPassword as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for("accounts.delete_account"))
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account and its personal data have been deleted."), "info")
            return redirect(url_for("core.home"))
    return render_template("accounts/delete_account.html", form=form, plan=plan, problem=problem)


# --- staff: users -----------------------------------------------------------------------------


@bp.get("/admin/users")
@access.staff
def users() -> Any:
    filters = UserFilterForm(request.args)
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    q = (filters.q.data or "").strip() if filters.validate() else ""
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(pattern), func.lower(User.name).like(pattern)))
    role = filters.role.data
    if role == "staff":
        query = query.where(User.is_staff.is_(True))
    elif role == "inactive":
        query = query.where(User.active.is_(False))
    elif role == "invited":
        query = query.where(User.password_hash.is_(None))
    page = paginate(query)
    invitations = (
        {
            inv.user_id: inv
            for inv in db.session.scalars(select(Invitation).where(Invitation.user_id.in_([u.id for u in page.items])))
        }
        if page.items
        else {}
    )
    return render_template("accounts/users.html", page=page, filters=filters, invitations=invitations)


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@access.staff
def invite() -> Any:
    form = InviteForm(locale="en")
    if form.validate_on_submit():
        try:
            user = services.invite(
                email=form.email.data,
                name=form.name.data,
                role=InvitedRole(form.role.data),
                locale=form.locale.data,
                by=current_user,
            )
        except DomainError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("An invitation has been sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/invite.html", form=form)


@bp.get("/admin/users/<int:user_id>")
@access.staff
def user_detail(user_id: int) -> Any:
    user = access.load_or_404(User, user_id)
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == user.id))
    memberships = db.session.scalars(
        select(StartupMember).where(StartupMember.user_id == user.id).options(_startup_loader())
    ).all()
    plan = deletion.plan_deletion(user)
    return render_template(
        "accounts/user_detail.html",
        user=user,
        invitation=invitation,
        memberships=memberships,
        form=EmptyForm(),
        delete_form=DeleteUserForm(formdata=None),
        deletion=plan,
        deletion_problem=deletion.deletion_problem(user, plan),
    )


def _user_action(user_id: int, action: Any, done: str) -> Any:
    user = access.load_or_404(User, user_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "danger")
        return redirect(url_for("accounts.user_detail", user_id=user.id))
    try:
        action(user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("accounts.user_detail", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/activate")
@access.staff
def activate(user_id: int) -> Any:
    return _user_action(user_id, lambda u: services.set_active(u, True, by=current_user), _("The account is active."))


@bp.post("/admin/users/<int:user_id>/deactivate")
@access.staff
def deactivate(user_id: int) -> Any:
    return _user_action(
        user_id,
        lambda u: services.set_active(u, False, by=current_user),
        _("The account is deactivated and its sessions have ended."),
    )


@bp.post("/admin/users/<int:user_id>/grant-staff")
@access.staff
@fresh_login_required
def grant_staff(user_id: int) -> Any:
    return _user_action(user_id, lambda u: services.set_staff(u, True, by=current_user), _("Staff rights granted."))


@bp.post("/admin/users/<int:user_id>/revoke-staff")
@access.staff
def revoke_staff(user_id: int) -> Any:
    return _user_action(user_id, lambda u: services.set_staff(u, False, by=current_user), _("Staff rights removed."))


@bp.post("/admin/users/<int:user_id>/resend-invitation")
@access.staff
def resend_invitation(user_id: int) -> Any:
    return _user_action(
        user_id, lambda u: services.resend_invitation(u, by=current_user), _("The invitation has been sent again.")
    )


@bp.post("/admin/users/<int:user_id>/delete")
@access.staff
def delete_user(user_id: int) -> Any:
    user = access.load_or_404(User, user_id)
    require_fresh_login(back=url_for("accounts.user_detail", user_id=user_id))
    form = DeleteUserForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm the deletion."), "danger")
        return redirect(url_for("accounts.user_detail", user_id=user_id))
    if user.id == current_user.id:
        flash(_("Delete your own account from your account page."), "danger")
        return redirect(url_for("accounts.user_detail", user_id=user_id))
    try:
        deletion.delete_account(user, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("accounts.user_detail", user_id=user_id))
    db.session.commit()
    flash(_("The account and its personal data have been deleted."), "success")
    return redirect(url_for("accounts.users"))
