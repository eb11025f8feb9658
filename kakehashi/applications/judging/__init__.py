"""Judging: judges and conflicts, assignment, blind scoring, ranking, decisions."""
