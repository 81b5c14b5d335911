"""Webhooks: signed HTTP callbacks to an account's endpoints for every committed change.

Nothing imports this package but app.py's wiring and its own handlers; it uses other domains only through
their service functions.
"""
