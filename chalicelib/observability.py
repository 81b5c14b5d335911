"""Structured logs and metrics (powertools), shared by the API and the event handlers.

The service name differs from the Chalice app name on purpose: Chalice logs through a logger named after
the app, and sharing that name would print every line twice.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "dossier-service"
NAMESPACE = "Dossier"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
