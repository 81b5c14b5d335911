from __future__ import annotations

import pytest

from chalicelib.settings import LOCAL_DEVELOPMENT_KEY, Settings, SettingsError


def test_an_empty_environment_gives_the_local_defaults() -> None:
    settings = Settings.from_environ({})
    assert settings.stage == "local"
    assert settings.jwt_secret.get_secret_value() == LOCAL_DEVELOPMENT_KEY
    assert settings.upload_url_ttl_seconds <= 900


def test_variables_are_read_with_their_prefix_and_the_region_from_aws() -> None:
    settings = Settings.from_environ(
        {"DOSSIER_TABLE_NAME": "t1", "AWS_REGION": "eu-west-1", "DOSSIER_MAX_BODY_BYTES": "1000", "OTHER": "x"}
    )
    assert (settings.table_name, settings.region, settings.max_body_bytes) == ("t1", "eu-west-1", 1000)


def test_the_development_key_is_refused_outside_the_local_stage() -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_environ({"DOSSIER_STAGE": "prod"})
    assert Settings.from_environ({"DOSSIER_STAGE": "prod", "DOSSIER_JWT_SECRET": "s" * 40}).stage == "prod"


def test_jwks_mode_needs_a_url() -> None:
    with pytest.raises(SettingsError, match="JWKS_URL"):
        Settings.from_environ({"DOSSIER_AUTH_MODE": "jwks"})


@pytest.mark.parametrize("name,value", [("DOSSIER_UPLOAD_URL_TTL_SECONDS", "3600"), ("DOSSIER_AUTH_MODE", "basic"),
                                        ("DOSSIER_STAGE", "Bad Stage")])
def test_invalid_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_environ({name: value})


def test_the_development_key_is_refused_in_lambda_whatever_the_stage_says() -> None:
    lambda_env = {"AWS_LAMBDA_FUNCTION_NAME": "dossier-prod-api"}
    for stage in ({}, {"DOSSIER_STAGE": "local"}, {"DOSSIER_STAGE": "prod"}):
        with pytest.raises(SettingsError, match="JWT_SECRET"):
            Settings.from_environ({**lambda_env, **stage})
    assert Settings.from_environ({**lambda_env, "DOSSIER_JWT_SECRET": "s" * 40}).stage == "local"
    jwks = {"DOSSIER_AUTH_MODE": "jwks", "DOSSIER_JWKS_URL": "https://idp.example.com/jwks.json"}
    assert Settings.from_environ({**lambda_env, **jwks}).auth_mode == "jwks"
