"""Process-wide state made on first use, and the one way to forget it (tests, the local stack)."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.settings import reset_settings
from chalicelib.storage.tables import main_table


def reset_process_state() -> None:
    reset_settings()
    aws.reset_clients()
    main_table.cache_clear()
