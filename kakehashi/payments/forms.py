"""Payment actions are single buttons: the form carries only the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm


class PaymentActionForm(FlaskForm):
    """ "Pay by card" and "Mark received": a POST with nothing but the CSRF token."""
