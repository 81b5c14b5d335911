"""Exports: every customer of an account as CSV or Excel (on demand and daily), one customer's data with
all of its files as a ZIP (right of access, GDPR Art. 15/20).

The API records a job and queues it (`POST /exports`, `POST /customers/{id}/export`); the jobs handler
writes the file to the exports bucket (`service.run_job`); `GET /exports/{id}` then offers a short-lived
download. Nothing is ever written under a job's final key unless it is complete.
"""
