"""Vertical accelerator calls, applications and judging."""
