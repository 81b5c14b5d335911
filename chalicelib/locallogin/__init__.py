"""One-time local sign-in: on the local stage, `make run` and `make login` print a console URL whose
fragment carries a code that `POST /_local/login` exchanges once for a staff bearer token."""
