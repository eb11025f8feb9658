"""Accounts: users, startups and their members; sign-in, registration, invitations."""
