"""Settings: one validated model, read from the environment on first use.

Nothing here runs at import time, so `import app` works with an empty environment and makes no AWS call.
Every variable is prefixed `DOSSIER_`; AWS endpoints and credentials are read by boto3 the standard way
(`AWS_ENDPOINT_URL`, `AWS_REGION`, ...).
"""

import functools
import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

#: The HS256 key the local stack signs with. Refused on any other stage.
LOCAL_DEVELOPMENT_KEY = "dossier-local-development-key-do-not-use-in-production"
ENV_PREFIX = "DOSSIER_"


class SettingsError(Exception):
    """The environment does not describe a usable configuration."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    stage: str = Field("local", pattern=r"^[a-z][a-z0-9-]{0,20}$")
    region: str = "eu-central-1"
    table_name: str = "dossier-local"
    uploads_bucket: str = "dossier-local-uploads-123456789012"
    exports_bucket: str = "dossier-local-exports-123456789012"
    jobs_queue_url: str = ""
    #: The webhook deliveries queue (chalicelib/webhooks).
    webhooks_queue_url: str = ""
    #: Where portal links point (the public origin of the API, without a trailing slash).
    public_base_url: str = "http://127.0.0.1:8000"
    #: The origin the staff front end is served from (CORS on staff routes); empty: no CORS.
    staff_origin: str = ""
    mail_sender: str = "no-reply@dossier.local"
    #: The SES configuration set every mail names, whose bounces and complaints reach handle_mail_feedback
    #: (the infra stack's MailConfigurationSetName); empty: none (the local stack).
    mail_configuration_set: str = ""
    #: Staff tokens: `hs256` (local, shared key) or `jwks` (an identity provider such as Cognito).
    auth_mode: Literal["hs256", "jwks"] = "hs256"
    jwt_secret: SecretStr = SecretStr(LOCAL_DEVELOPMENT_KEY)
    jwt_issuer: str = "dossier-local"
    jwt_audience: str = "dossier"
    jwks_url: str = ""
    #: The identity provider's hosted sign-in origin (Cognito: `https://<domain>.auth.<region>.amazoncognito.com`);
    #: the staff console signs in there with OpenID Connect (code flow with PKCE). Empty: local sign-in.
    oidc_domain: str = ""
    #: The staff user pool (Cognito) that invites, disables and removes team members; empty: the local stage's
    #: invitations (the outbox, with a one-time console login).
    user_pool_id: str = ""
    #: How long audit log entries are kept (a TTL on each entry).
    audit_retention_days: int = Field(730, ge=1, le=3650)
    token_ttl_seconds: int = Field(12 * 3600, gt=0)
    upload_url_ttl_seconds: int = Field(900, gt=0, le=900)
    download_url_ttl_seconds: int = Field(300, gt=0, le=3600)
    #: Largest JSON body the API reads; larger ones get 413 before any parsing.
    max_body_bytes: int = Field(256 * 1024, gt=0)

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> "Settings":
        if self.auth_mode == "hs256" and self.stage != "local":
            if self.jwt_secret.get_secret_value() == LOCAL_DEVELOPMENT_KEY:
                raise ValueError("DOSSIER_JWT_SECRET must be set outside the local stage")
        if self.auth_mode == "jwks" and not self.jwks_url:
            raise ValueError("DOSSIER_JWKS_URL is required when DOSSIER_AUTH_MODE=jwks")
        return self

    @classmethod
    def from_environ(cls, environ: dict[str, str] | os._Environ[str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {
            name[len(ENV_PREFIX):].lower(): value
            for name, value in environ.items()
            if name.startswith(ENV_PREFIX) and value != ""
        }
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        if region and "region" not in values:
            values["region"] = region
        try:
            settings = cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError(str(exc)) from exc
        # In Lambda the development key is refused whatever the stage says: a stage left at `local` by
        # mistake must not let anyone who read this file sign tokens.
        if (environ.get("AWS_LAMBDA_FUNCTION_NAME") and settings.auth_mode == "hs256"
                and settings.jwt_secret.get_secret_value() == LOCAL_DEVELOPMENT_KEY):
            raise SettingsError("DOSSIER_JWT_SECRET must be set when running in AWS Lambda")
        return settings

    @classmethod
    def environment_names(cls) -> set[str]:
        """The variable names this model reads (used to check the packaged templates agree)."""
        return {ENV_PREFIX + name.upper() for name in cls.model_fields}


@functools.cache
def get_settings() -> Settings:
    return Settings.from_environ()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()
