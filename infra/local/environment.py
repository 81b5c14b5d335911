"""The environment of the local stack: moto's endpoint, fake credentials, and the stage's names."""

from __future__ import annotations

import os

from infra.local.provision import LOCAL_ACCOUNT_ID, resource_names

STAGE = "local"
REGION = "eu-central-1"


def moto_port() -> int:
    return int(os.environ.get("MOTO_PORT", "5000"))


def api_port() -> int:
    return int(os.environ.get("PORT", "8000"))


def local_environment(moto: int | None = None, api: int | None = None) -> dict[str, str]:
    moto = moto or moto_port()
    api = api or api_port()
    names = resource_names(STAGE, REGION)
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "DOSSIER_STAGE": STAGE,
        "DOSSIER_TABLE_NAME": names["DossierTable"],
        "DOSSIER_UPLOADS_BUCKET": names["UploadsBucket"],
        "DOSSIER_EXPORTS_BUCKET": names["ExportsBucket"],
        # moto's server names a queue by its URL: endpoint, account, name.
        "DOSSIER_JOBS_QUEUE_URL": f"http://127.0.0.1:{moto}/{LOCAL_ACCOUNT_ID}/{names['JobsQueue']}",
        "DOSSIER_WEBHOOKS_QUEUE_URL": f"http://127.0.0.1:{moto}/{LOCAL_ACCOUNT_ID}/{names['WebhooksQueue']}",
        "DOSSIER_PUBLIC_BASE_URL": f"http://127.0.0.1:{api}",
        "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
    }


def apply(moto: int | None = None, api: int | None = None) -> dict[str, str]:
    """Point this process at the local stack (and forget clients made for anything else)."""
    from chalicelib.runtime import reset_process_state

    environment = local_environment(moto, api)
    os.environ.update(environment)
    reset_process_state()
    return environment


def verify_mail_sender(session: object) -> None:
    """SES sends only from verified identities; on AWS the operator verifies the sender (docs/deploy.md)."""
    from chalicelib.settings import get_settings

    session.client("sesv2").create_email_identity(EmailIdentity=get_settings().mail_sender)  # type: ignore[attr-defined]
