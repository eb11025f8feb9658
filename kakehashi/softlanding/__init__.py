"""Soft landing: the checklist workflow for overseas founders."""
