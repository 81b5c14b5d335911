"""Fixtures of the infra tests: `make package STAGE=prod` output, made once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.packaging import packaged_stage as package_once


@pytest.fixture(scope="session")
def packaged_stage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/prod/ as `make package STAGE=prod` writes it; read it, never change it (copy it first)."""
    return package_once(tmp_path_factory)
