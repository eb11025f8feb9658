"""Payments: booking fees through Stripe Checkout or bank transfer."""
